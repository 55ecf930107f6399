// tweetstream serve's page: a timeline (GET /tweets, then kept current by /events), the
// raw event stream, a tweet form and like buttons, and a connection indicator. Plain
// browser JavaScript, no build step, nothing from elsewhere. Text from the server is
// only ever rendered with textContent, each user-written string bidi-isolated (<bdi>) with
// its invisible format characters (bidi overrides, zero-width, controls) shown as visible
// \uXXXX marks, as the terminal output shows them (src/output/safe-text.ts).

const MAX_CHARS = 280;
const TIMELINE_LIMIT = 50;
const MAX_TWEETS_SHOWN = 200;
const MAX_EVENTS_SHOWN = 100;
/** on load, the event pane starts with this many recent events */
const EVENTS_BACKLOG = 10;
const HEALTH_EVERY_MS = 3000;
/** while something is wrong, /healthz is asked more often, to show the recovery soon */
const HEALTH_RETRY_MS = 1000;
const MAX_RETRY_MS = 5000;

const $ = (id) => document.getElementById(id);
const ui = {
  status: $("status"),
  statusText: $("status-text"),
  form: $("compose"),
  author: $("author"),
  message: $("message"),
  counter: $("counter"),
  send: $("send"),
  formError: $("form-error"),
  timeline: $("timeline"),
  timelineError: $("timeline-error"),
  timelineEmpty: $("timeline-empty"),
  events: $("events"),
  announcer: $("announcer"),
};

const state = {
  /** the stream's name (from /healthz), to show each event's subject */
  stream: "",
  /** the timeline as loaded holds every event up to this sequence */
  snapshotSeq: 0,
  /** the last event received: /events resumes after it */
  lastSeq: 0,
  /** tweet id → { article, seq, likes, count } */
  tweets: new Map(),
  /** sequences of this page's own writes, already shown from the POST answer */
  ownSeqs: new Set(),
  /** the open EventSource */
  source: null,
  retryMs: 1000,
  live: false,
  /** null: unknown; otherwise what /healthz said is wrong */
  natsProblem: null,
  /** the Idempotency-Key of the tweet being written: kept for retries of the same text */
  draftKey: null,
  /** a tweet is being sent (the button stays focusable: aria-disabled, not disabled) */
  sending: false,
  /** the message was over the limit at the last keystroke (announced when that changes) */
  over: false,
  /** while serve builds its view (GET /readyz answers 503): "building the view: 40%" */
  building: null,
};

// ---- small helpers -------------------------------------------------------------------

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const chars = (text) => [...text].length; // code points, as the server counts

/** A random UUID; crypto.randomUUID needs a secure context, getRandomValues does not. */
function newKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * Invisible format characters: C0/C1 controls, bidi marks, embeddings, overrides and
 * isolates, zero-width characters, line/paragraph separators, the BOM.
 */
const INVISIBLE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g;

/** `text` as nodes: each invisible character a visible `\uXXXX` mark, the rest as text. */
function visibleNodes(text) {
  const nodes = [];
  let last = 0;
  for (const m of text.matchAll(INVISIBLE)) {
    if (m.index > last) nodes.push(text.slice(last, m.index));
    const code = m[0].charCodeAt(0).toString(16).padStart(4, "0");
    const mark = element("span", "invisible", `\\u${code}`);
    mark.title = `invisible character U+${code.toUpperCase()}`;
    nodes.push(mark);
    last = m.index + m[0].length;
  }
  if (last < text.length) nodes.push(text.slice(last));
  return nodes;
}

/** A user-written string: bidi-isolated from what surrounds it, invisible characters shown. */
function userText(tag, className, text) {
  const node = element(tag, className);
  node.dir = "auto";
  node.append(...visibleNodes(String(text)));
  return node;
}

/** An event's payload as JSON, each string value isolated and its invisible characters shown. */
function payloadNodes(payload) {
  const entries = Object.entries(payload);
  const nodes = ["{\n"];
  entries.forEach(([key, value], i) => {
    nodes.push(`  ${JSON.stringify(key)}: `);
    nodes.push(userText("bdi", "", JSON.stringify(value) ?? "null"));
    nodes.push(i < entries.length - 1 ? ",\n" : "\n");
  });
  nodes.push("}");
  return nodes;
}

function showError(node, text) {
  node.replaceChildren(...visibleNodes(text ?? ""));
  node.hidden = !text;
}

/** Error nodes showing what the server or the connection refused: cleared by a success. */
const serverErrors = new Set();

/** An error from the server or the network, cleared by the next success or reconnection. */
function showServerError(node, text) {
  showError(node, text);
  serverErrors.add(node);
}

/** A write went through, or the connection is back: the errors it had are history. */
function clearServerErrors() {
  for (const node of serverErrors) showError(node, null);
  serverErrors.clear();
}

/** Marks a button busy with its request; unlike `disabled`, it keeps the keyboard focus. */
function setBusy(button, busy) {
  if (busy) button.setAttribute("aria-disabled", "true");
  else button.removeAttribute("aria-disabled");
}

// ---- announcements for screen readers ------------------------------------------------

/** Additions since the last announcement; said together, politely, after a short pause. */
const pending = { tweets: [], likes: 0, timer: null };
const ANNOUNCE_AFTER_MS = 1000;

function announce(text) {
  // a change of text is what a live region reads; the same text twice needs a reset
  ui.announcer.textContent = "";
  requestAnimationFrame(() => (ui.announcer.textContent = text));
}

/** Announces new timeline items and events, a burst as one sentence. */
function announceAddition(kind, tweet) {
  if (kind === "tweet") pending.tweets.push(tweet);
  else pending.likes++;
  pending.timer ??= setTimeout(() => {
    const { tweets, likes } = pending;
    const parts = [];
    if (tweets.length === 1) parts.push(`New tweet by ${tweets[0].author}: ${tweets[0].message}`);
    else if (tweets.length > 1) parts.push(`${tweets.length} new tweets`);
    if (likes > 0) parts.push(likes === 1 ? "1 new like" : `${likes} new likes`);
    pending.tweets = [];
    pending.likes = 0;
    pending.timer = null;
    announce(parts.join(". "));
  }, ANNOUNCE_AFTER_MS);
}

function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString([], { dateStyle: "medium", timeStyle: "medium" });
}

/** An API error in words, from the status and the server's {"error": "…"}. */
function explain(status, serverText, what) {
  const detail = serverText ? ` (${serverText})` : "";
  switch (status) {
    case 401:
      return `Not stored: this server needs a write token${detail}.`;
    case 400:
      return `The server refused the ${what}${detail}.`;
    case 404:
      return `Not found${detail}.`;
    case 409:
      return `The same ${what} is still being stored; try again in a moment.`;
    case 413:
      return `The ${what} is too large for this server${detail}.`;
    case 503: {
      // the server's own words start with "not stored" too: said once
      const why = serverText?.replace(/^not stored: /i, "");
      const more = why ? ` (${why})` : "";
      return `Not stored: the server cannot reach NATS right now${more}. Try again in a moment.`;
    }
    default:
      return `The server answered ${status}${detail}.`;
  }
}

/** Where the write token (serve --auth-token) is kept: for this tab only. */
const TOKEN_KEY = "tweetstream.token";

/** POSTs JSON with an Idempotency-Key: {ok, status, body} or throws on a network error. */
async function postOnce(url, body, key) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "Idempotency-Key": key,
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  let parsed = null;
  try {
    parsed = await res.json();
  } catch {
    // not JSON (e.g. a proxy's page): the status says enough
  }
  return { ok: res.ok, status: res.status, body: parsed };
}

/**
 * postOnce; a 401 (the server wants a write token) asks for the token, keeps it for the
 * tab (sessionStorage) and sends the same request again, once.
 */
async function post(url, body, key) {
  const res = await postOnce(url, body, key);
  if (res.status !== 401) return res;
  sessionStorage.removeItem(TOKEN_KEY);
  const token = window.prompt("This server needs a write token (serve --auth-token):")?.trim();
  if (!token) return res;
  sessionStorage.setItem(TOKEN_KEY, token);
  return postOnce(url, body, key);
}

// ---- connection indicator ------------------------------------------------------------

function updateStatus() {
  let stateName = "reconnecting";
  let text = "reconnecting…";
  if (state.natsProblem) {
    stateName = "down";
    text = state.natsProblem;
  } else if (state.building) {
    stateName = "connecting";
    text = state.building;
  } else if (state.live) {
    stateName = "live";
    text = "live";
  } else if (!state.source) {
    stateName = "connecting";
    text = "connecting…";
  }
  ui.status.dataset.state = stateName;
  ui.statusText.textContent = text;
}

let healthPending = false;
async function checkHealth() {
  if (healthPending) return;
  healthPending = true;
  try {
    const res = await fetch("/healthz", { cache: "no-store", signal: AbortSignal.timeout(5000) });
    const body = await res.json();
    if (typeof body.stream === "string") state.stream = body.stream;
    if (res.ok) {
      // NATS is back: what it refused meanwhile is history
      if (state.natsProblem) clearServerErrors();
      state.natsProblem = null;
    } else if (body.nats === "disconnected") state.natsProblem = "NATS down";
    else if (body.nats === "connected") state.natsProblem = "stream unavailable";
    else state.natsProblem = null; // serve is stopping: the event stream reports it
    // the stream was deleted and created again: what this page shows is another story
    if (typeof body.stream_seq === "number" && body.stream_seq < state.lastSeq) location.reload();
  } catch {
    // serve itself is unreachable: the event stream reports that as "reconnecting"
    state.natsProblem = null;
  } finally {
    healthPending = false;
    updateStatus();
  }
}

/**
 * Until serve can answer reads exactly (GET /readyz 200), shows how far its view got
 * (`{"ready":false,"reason","view":{"seq","of"}}`), asking again every second.
 */
async function waitUntilReady() {
  for (;;) {
    try {
      const res = await fetch("/readyz", { cache: "no-store", signal: AbortSignal.timeout(5000) });
      const body = await res.json();
      if (res.ok || body?.ready === true) break;
      const view = body?.view ?? {};
      const seq = Number(view.seq) || 0;
      const of = Number(view.of) || 0;
      const pct = of > 0 ? Math.floor((100 * Math.min(seq, of)) / of) : 0;
      const reason = typeof body?.reason === "string" ? body.reason : "starting";
      state.building = `${reason}: ${pct}% (${seq.toLocaleString()} of ${of.toLocaleString()})`;
    } catch {
      state.building = "starting…";
    }
    updateStatus();
    await sleep(1000);
  }
  state.building = null;
  updateStatus();
}

// ---- timeline ------------------------------------------------------------------------

function setLikes(tweet, likes) {
  tweet.likes = likes;
  tweet.count.textContent = String(likes);
  tweet.button.setAttribute("aria-label", `Like (${likes} ${likes === 1 ? "like" : "likes"})`);
}

/** Adds a tweet where its sequence puts it (newest first); once per id. */
function addTweet(t, fresh) {
  if (state.tweets.has(t.id)) return;
  const article = element("article", fresh ? "tweet fresh" : "tweet");
  article.dataset.id = t.id;
  const head = element("header", "tweet-head");
  head.append(userText("bdi", "tweet-author", t.author));
  const time = element("time", "tweet-time", formatTime(t.date));
  time.dateTime = t.date;
  head.append(time);
  const button = element("button", "like");
  button.type = "button";
  const count = element("span", "like-count", "0");
  button.append("♥ Like ", count);
  const footer = element("footer");
  footer.append(button);
  article.append(head, userText("p", "tweet-text", t.message), footer);

  const tweet = { article, seq: t.seq, likes: 0, count, button };
  setLikes(tweet, t.likes ?? 0);
  button.addEventListener("click", () => likeTweet(t.id, tweet));
  state.tweets.set(t.id, tweet);

  let before = null;
  for (const other of ui.timeline.children) {
    if (state.tweets.get(other.dataset.id).seq < t.seq) {
      before = other;
      break;
    }
  }
  ui.timeline.insertBefore(article, before);
  while (ui.timeline.children.length > MAX_TWEETS_SHOWN) {
    const oldest = ui.timeline.lastElementChild;
    state.tweets.delete(oldest.dataset.id);
    oldest.remove();
  }
  ui.timelineEmpty.hidden = true;
}

/** GET /tweets until it answers; returns the sequence the timeline reflects. */
async function loadTimeline() {
  for (;;) {
    try {
      const res = await fetch(`/tweets?limit=${TIMELINE_LIMIT}`, { cache: "no-store" });
      const body = await res.json();
      if (!res.ok) throw new Error(explain(res.status, body?.error, "request"));
      for (const t of body.tweets) addTweet(t, false);
      ui.timelineEmpty.hidden = body.tweets.length > 0;
      ui.timeline.setAttribute("aria-busy", "false");
      showError(ui.timelineError, null);
      return typeof body.last_seq === "number"
        ? body.last_seq
        : Math.max(0, ...body.tweets.map((t) => t.seq));
    } catch (err) {
      showError(ui.timelineError, `Cannot load the timeline: ${err.message}. Retrying…`);
      await sleep(2000);
    }
  }
}

async function likeTweet(id, tweet) {
  if (tweet.busy) return;
  tweet.busy = true;
  setBusy(tweet.button, true);
  const author = ui.author.value.trim();
  try {
    const res = await post(
      `/tweets/${encodeURIComponent(id)}/likes`,
      author ? { author } : {},
      newKey(),
    );
    if (!res.ok) {
      showServerError(ui.timelineError, explain(res.status, res.body?.error, "like"));
      return;
    }
    clearServerErrors();
    if (res.body.seq > state.lastSeq) {
      // shown now; /events will bring the same sequence, which is then not counted again
      state.ownSeqs.add(res.body.seq);
      setLikes(tweet, tweet.likes + 1);
    }
  } catch {
    showServerError(ui.timelineError, "Cannot reach the server: the like may not be stored.");
  } finally {
    tweet.busy = false;
    setBusy(tweet.button, false);
  }
}

// ---- event stream --------------------------------------------------------------------

function showEvent(seq, type, payload) {
  const item = element("li", "event");
  item.dataset.type = type;
  const head = element("div", "event-head");
  head.append(
    userText("bdi", "event-subject", state.stream ? `${state.stream}.${type}` : type),
    element("span", "event-seq", `seq ${seq}`),
  );
  const json = element("pre");
  json.append(...payloadNodes(payload));
  item.append(head, json);
  ui.events.prepend(item);
  while (ui.events.children.length > MAX_EVENTS_SHOWN) ui.events.lastElementChild.remove();
}

function onEvent(e) {
  const seq = Number(e.lastEventId);
  // after a resume the server starts after lastSeq; anything not newer was seen already
  if (!(seq > state.lastSeq)) return;
  state.lastSeq = seq;
  let event;
  try {
    event = JSON.parse(e.data);
  } catch {
    return;
  }
  const { seq: _seq, ...payload } = event;
  showEvent(seq, e.type, payload);
  // a recent event shown for context: the timeline has it already
  if (seq <= state.snapshotSeq) return;
  if (state.ownSeqs.delete(seq)) return;
  if (e.type === "tweet_created") {
    addTweet({ ...payload, seq, likes: 0 }, true);
    announceAddition("tweet", payload);
  } else if (e.type === "tweet_liked") {
    const tweet = state.tweets.get(payload.id);
    if (tweet) setLikes(tweet, tweet.likes + 1);
    announceAddition("like");
  }
}

/** Opens /events after the last sequence seen; on any error, closes and opens again. */
function connectEvents() {
  const source = new EventSource(`/events?since=${state.lastSeq}`);
  state.source = source;
  source.addEventListener("open", () => {
    // reconnected: the errors of the outage are history (NATS itself: see checkHealth)
    if (!state.live && !state.natsProblem) clearServerErrors();
    state.live = true;
    state.retryMs = 1000;
    updateStatus();
    void checkHealth();
  });
  source.addEventListener("tweet_created", onEvent);
  source.addEventListener("tweet_liked", onEvent);
  source.addEventListener("error", () => {
    // reconnect ourselves (with ?since), also when the browser would give up (a 503)
    source.close();
    state.live = false;
    updateStatus();
    void checkHealth();
    setTimeout(connectEvents, state.retryMs);
    state.retryMs = Math.min(state.retryMs * 2, MAX_RETRY_MS);
  });
}

// ---- the tweet form ------------------------------------------------------------------

function updateCounter() {
  const n = chars(ui.message.value);
  const over = n > MAX_CHARS;
  ui.counter.textContent = over
    ? `${n} / ${MAX_CHARS}: ${n - MAX_CHARS} too many`
    : `${n} / ${MAX_CHARS}`;
  ui.counter.classList.toggle("over", over);
  ui.message.setAttribute("aria-invalid", String(over));
  // the counter is read with the field (aria-describedby), not at every keystroke: only
  // crossing the limit is announced
  if (over !== state.over) announce(over ? `${n - MAX_CHARS} characters too many` : "");
  state.over = over;
}

/** What is wrong with the form, in words, or null. */
function formProblem(author, message) {
  if (!author) return "Write who you are in Author.";
  if (chars(author) > 64) return "The author may be at most 64 characters.";
  if (!message.trim()) return "Write a message.";
  const n = chars(message);
  if (n > MAX_CHARS) return `The message has ${n} characters; at most ${MAX_CHARS} fit.`;
  return null;
}

async function submitTweet(event) {
  event.preventDefault();
  if (state.sending) return;
  const author = ui.author.value.trim();
  const message = ui.message.value;
  const problem = formProblem(author, message);
  showError(ui.formError, problem);
  serverErrors.delete(ui.formError); // the form's own words: they stay until it is fixed
  if (problem) return;
  // the same key for every retry of this text: the server stores it once
  state.draftKey ??= newKey();
  state.sending = true;
  setBusy(ui.send, true);
  try {
    const res = await post("/tweets", { author, message }, state.draftKey);
    if (!res.ok) {
      showServerError(ui.formError, explain(res.status, res.body?.error, "tweet"));
      return;
    }
    clearServerErrors();
    localStorage.setItem("tweetstream.author", author);
    if (res.body.seq > state.lastSeq) state.ownSeqs.add(res.body.seq);
    addTweet({ ...res.body, likes: 0 }, true);
    ui.message.value = "";
    state.draftKey = null;
    updateCounter();
    ui.message.focus();
  } catch {
    showServerError(
      ui.formError,
      "Cannot reach the server; the tweet may not be stored. Press Tweet again to retry: it will not be stored twice.",
    );
  } finally {
    state.sending = false;
    setBusy(ui.send, false);
  }
}

function wireForm() {
  ui.author.value = localStorage.getItem("tweetstream.author") ?? "";
  ui.form.addEventListener("submit", submitTweet);
  for (const field of [ui.author, ui.message]) {
    field.addEventListener("input", () => {
      state.draftKey = null; // another text is another tweet
      updateCounter();
    });
  }
  ui.message.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) ui.form.requestSubmit();
  });
  updateCounter();
}

async function start() {
  wireForm();
  await checkHealth();
  // the newest page is answered while serve builds its view; the event stream once it is done
  // (it resumes from the page's last_seq: nothing stored meanwhile is missed)
  state.snapshotSeq = await loadTimeline();
  state.lastSeq = Math.max(0, state.snapshotSeq - EVENTS_BACKLOG);
  await waitUntilReady();
  connectEvents();
  const poll = async () => {
    await checkHealth();
    setTimeout(poll, state.live && !state.natsProblem ? HEALTH_EVERY_MS : HEALTH_RETRY_MS);
  };
  void poll();
}

void start();
