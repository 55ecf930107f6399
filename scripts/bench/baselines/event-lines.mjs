// What the reading baselines share: the JSON line tweetstream writes for a message (the
// same fields, in the same order), so that a baseline writes what `listen --json` and
// `view --json` write: the payload parsed as JSON (the baselines do not validate it),
// its headers, the stream's time stamp.

const dec = new TextDecoder();

/** @param {import("nats").JsMsg} m */
function head(m) {
  const time = new Date(Math.floor(m.info.timestampNanos / 1_000_000)).toISOString();
  return `{"stream":${JSON.stringify(m.info.stream)},"seq":${m.seq},"subject":${JSON.stringify(m.subject)},"time":"${time}",`;
}

/** @param {import("nats").JsMsg} m */
function headers(m) {
  if (!m.headers) return "";
  /** @type {Record<string, string[]>} */
  const h = {};
  for (const [k, v] of m.headers) h[k] = v;
  return `,"headers":${JSON.stringify(h)}`;
}

/**
 * `listen --json`'s line, with its newline.
 * @param {import("nats").JsMsg} m @param {string} consumer
 */
export function listenLine(m, consumer) {
  const delivered = m.info.deliveryCount;
  const event = JSON.stringify(JSON.parse(dec.decode(m.data)));
  return `${head(m)}"consumer":${JSON.stringify(consumer)},"delivered":${delivered},"redelivered":${delivered > 1},"event":${event}${headers(m)}}\n`;
}

/**
 * `view --json`'s line, with its newline.
 * @param {import("nats").JsMsg} m
 */
export function viewLine(m) {
  const text = dec.decode(m.data);
  JSON.parse(text); // view checks that the payload is JSON and writes it as it is
  return `${head(m)}"event":${text.trim()}${headers(m)}}\n`;
}
