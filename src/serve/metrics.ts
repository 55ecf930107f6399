// serve's GET /metrics: counters kept as requests are answered, gauges sampled when
// scraped, written in the Prometheus text exposition format (version 0.0.4). Hand-written
// rather than prom-client: bundled, prom-client added 18–50 ms to serve's start on this
// machine (its import and first render), for the dozen series serve has.

import type { Connection } from "../nats/connection.js";
import { streamState } from "../nats/follow.js";
import { matchRoute } from "./routes.js";
import type { Readiness } from "./timeline/readiness.js";

/** Latency buckets, seconds: a GET from memory is ~1 ms, a POST waits for the ack. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What is read at scrape time (the timeline's and the stream's figures may be missing). */
export interface MetricsSample {
  natsConnected: boolean;
  sseClients: number;
  /** the stream sequence the timeline has applied */
  timelineSeq: number;
  /** the stream's last sequence; undefined when the stream did not answer */
  streamSeq?: number;
  /** age of the oldest event the timeline has not applied, seconds (0 when caught up) */
  lagSeconds?: number;
  /** while the timeline is built at start (GET /readyz 503): how far, of the stream's last then */
  building?: { seq: number; of: number };
  /** the view's bulk batches whose confirm failed (written again with an ack each) */
  buildFallbacks?: number;
}

export interface ServeMetrics {
  /** one answered request: the route is found from the method and path */
  request(method: string, path: string, status: number, ms: number): void;
  /** the NATS connection came back after it was lost */
  reconnected(): void;
  /** a publish acknowledged only after a retry (a leader election, a failover) */
  publishRetried(): void;
  render(sample: MetricsSample): string;
}

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/** The route label: a route's name, `other` for the page's files and unknown paths. */
export function routeLabel(method: string, path: string): string {
  const q = path.indexOf("?");
  const m = matchRoute(method, q < 0 ? path : path.slice(0, q));
  return m.ok ? m.route : "other";
}

/** A number as the text format writes it. */
function num(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** A label value escaped as the text format requires (backslash, quote, newline). */
export function labelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function family(name: string, type: string, help: string, lines: string[]): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${lines.join("")}`;
}

export function createServeMetrics(): ServeMetrics {
  /** `route\0status` → count */
  const requests = new Map<string, number>();
  const latency = new Map<string, Histogram>();
  let reconnects = 0;
  let publishRetries = 0;

  return {
    request(method, path, status, ms) {
      const route = routeLabel(method, path);
      const key = `${route}\u0000${status}`;
      requests.set(key, (requests.get(key) ?? 0) + 1);
      let h = latency.get(route);
      if (!h) latency.set(route, (h = { counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 }));
      const s = ms / 1000;
      for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (s <= LATENCY_BUCKETS[i]!) h.counts[i]!++;
      h.sum += s;
      h.count++;
    },
    reconnected: () => void reconnects++,
    publishRetried: () => void publishRetries++,
    render(sample) {
      const out: string[] = [];
      out.push(
        family(
          "tweetstream_http_requests_total",
          "counter",
          "HTTP requests answered, by route and status (0: the client left first).",
          [...requests].map(([key, n]) => {
            const [route, status] = key.split("\u0000");
            return `tweetstream_http_requests_total{route="${labelValue(route!)}",status="${status}"} ${n}\n`;
          }),
        ),
      );
      out.push(
        family(
          "tweetstream_http_request_duration_seconds",
          "histogram",
          "Time to answer a request, by route (GET /events: the stream's lifetime).",
          [...latency].flatMap(([route, h]) => {
            const r = `route="${labelValue(route)}"`;
            const name = "tweetstream_http_request_duration_seconds";
            return [
              ...LATENCY_BUCKETS.map(
                (b, i) => `${name}_bucket{${r},le="${num(b)}"} ${h.counts[i]}\n`,
              ),
              `${name}_bucket{${r},le="+Inf"} ${h.count}\n`,
              `${name}_sum{${r}} ${num(h.sum)}\n`,
              `${name}_count{${r}} ${h.count}\n`,
            ];
          }),
        ),
      );
      const gauge = (name: string, help: string, v: number | undefined) => {
        if (v !== undefined) out.push(family(name, "gauge", help, [`${name} ${num(v)}\n`]));
      };
      const counter = (name: string, help: string, v: number) =>
        out.push(family(name, "counter", help, [`${name} ${num(v)}\n`]));
      gauge(
        "tweetstream_nats_connected",
        "1 while connected to NATS, 0 while reconnecting.",
        sample.natsConnected ? 1 : 0,
      );
      counter(
        "tweetstream_nats_reconnects_total",
        "Times the NATS connection came back after it was lost.",
        reconnects,
      );
      counter(
        "tweetstream_publish_retries_total",
        "Publishes acknowledged only after a retry with the same message id.",
        publishRetries,
      );
      gauge("tweetstream_sse_clients", "Open GET /events streams.", sample.sseClients);
      gauge(
        "tweetstream_view_applied_seq",
        "The stream sequence the view has applied.",
        sample.timelineSeq,
      );
      gauge(
        "tweetstream_stream_last_seq",
        "The stream's last sequence (absent when the stream does not answer).",
        sample.streamSeq,
      );
      const behind =
        sample.streamSeq === undefined
          ? undefined
          : Math.max(0, sample.streamSeq - sample.timelineSeq);
      gauge("tweetstream_view_lag_events", "Events stored but not yet in the view.", behind);
      gauge(
        "tweetstream_view_lag_seconds",
        "Age of the oldest event not yet in the view (0 when caught up).",
        sample.lagSeconds,
      );
      counter(
        "tweetstream_view_build_fallbacks_total",
        "Batches of the view's build sent without an ack each whose confirm failed (written again acked).",
        sample.buildFallbacks ?? 0,
      );
      gauge(
        "tweetstream_view_build_progress",
        "Share of the stream the view has applied, 0 to 1 (1: caught up; during the first build, /readyz's seq of M).",
        sample.building
          ? sample.building.of === 0
            ? 1
            : Math.min(1, sample.building.seq / sample.building.of)
          : sample.streamSeq === undefined
            ? undefined
            : sample.streamSeq === 0
              ? 1
              : Math.min(1, sample.timelineSeq / sample.streamSeq),
      );
      return out.join("");
    },
  };
}

/** What the sampler reads from the timeline (Timeline has these). */
export interface TimelineFigures {
  readonly lastSeq: number;
  readonly hub: { readonly size: number };
  /** what GET /readyz says: until ready, the build's progress */
  readonly readiness?: Readiness;
  /** bulk batches of the view's writes not confirmed (src/nats/bucket-writes.ts) */
  readonly buildFallbacks: number;
}

/**
 * Reads a sample at scrape time: one stream info request, and when the timeline is behind,
 * the stored time of the first event it has not applied. A request that fails leaves its
 * figures out of the sample (the scrape still answers).
 */
export function metricsSampler(
  conn: Connection,
  stream: string,
  connected: () => boolean,
  timeline: TimelineFigures,
): () => Promise<MetricsSample> {
  return async () => {
    const sample: MetricsSample = {
      natsConnected: connected(),
      sseClients: timeline.hub.size,
      timelineSeq: timeline.lastSeq,
      buildFallbacks: timeline.buildFallbacks,
    };
    const readiness = timeline.readiness;
    if (readiness && !readiness.ready) sample.building = readiness.view;
    if (!sample.natsConnected) return sample;
    const state = await streamState(conn, stream).catch(() => undefined);
    if (!state) return sample;
    sample.streamSeq = state.last_seq;
    const next = Math.max(timeline.lastSeq + 1, state.first_seq);
    if (timeline.lastSeq >= state.last_seq || next > state.last_seq) sample.lagSeconds = 0;
    else {
      const sm = await (
        await conn.jsm()
      ).streams
        .getMessage(stream, { seq: next })
        .catch(() => undefined);
      if (sm) sample.lagSeconds = Math.max(0, (Date.now() - sm.time.getTime()) / 1000);
    }
    return sample;
  };
}
