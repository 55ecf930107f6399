import { describe, expect, it } from "vitest";
import { createServeMetrics, labelValue, routeLabel } from "../../src/serve/metrics.js";

/** Every line of the text format: a comment, or `name{labels} value`. */
const SAMPLE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/;

function parse(text: string): Map<string, number> {
  expect(text.endsWith("\n")).toBe(true);
  const values = new Map<string, number>();
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    expect(line).toMatch(SAMPLE);
    const i = line.lastIndexOf(" ");
    values.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return values;
}

const base = {
  natsConnected: true,
  sseClients: 2,
  timelineSeq: 40,
  streamSeq: 50,
  lagSeconds: 1.5,
};

describe("serve metrics", () => {
  it("counts requests by route and status, with a cumulative latency histogram", () => {
    const m = createServeMetrics();
    m.request("GET", "/tweets?limit=5", 200, 3);
    m.request("GET", "/tweets", 200, 40);
    m.request("POST", "/tweets", 201, 700);
    m.request("GET", "/nowhere", 404, 1);
    m.request("GET", "/", 200, 1);
    const v = parse(m.render(base));
    expect(v.get('tweetstream_http_requests_total{route="listTweets",status="200"}')).toBe(2);
    expect(v.get('tweetstream_http_requests_total{route="createTweet",status="201"}')).toBe(1);
    expect(v.get('tweetstream_http_requests_total{route="other",status="404"}')).toBe(1);
    expect(v.get('tweetstream_http_requests_total{route="other",status="200"}')).toBe(1);
    const h = (le: string) =>
      v.get(`tweetstream_http_request_duration_seconds_bucket{route="listTweets",le="${le}"}`);
    expect(h("0.005")).toBe(1);
    expect(h("0.025")).toBe(1);
    expect(h("0.05")).toBe(2);
    expect(h("+Inf")).toBe(2);
    expect(v.get('tweetstream_http_request_duration_seconds_count{route="listTweets"}')).toBe(2);
    expect(v.get('tweetstream_http_request_duration_seconds_sum{route="listTweets"}')).toBeCloseTo(
      0.043,
    );
    expect(
      v.get('tweetstream_http_request_duration_seconds_bucket{route="createTweet",le="0.5"}'),
    ).toBe(0);
  });

  it("writes the sampled gauges, lag and build progress", () => {
    const m = createServeMetrics();
    m.reconnected();
    m.publishRetried();
    m.publishRetried();
    const v = parse(m.render(base));
    expect(v.get("tweetstream_nats_connected")).toBe(1);
    expect(v.get("tweetstream_nats_reconnects_total")).toBe(1);
    expect(v.get("tweetstream_publish_retries_total")).toBe(2);
    expect(v.get("tweetstream_sse_clients")).toBe(2);
    expect(v.get("tweetstream_view_applied_seq")).toBe(40);
    expect(v.get("tweetstream_stream_last_seq")).toBe(50);
    expect(v.get("tweetstream_view_lag_events")).toBe(10);
    expect(v.get("tweetstream_view_lag_seconds")).toBe(1.5);
    expect(v.get("tweetstream_view_build_progress")).toBe(0.8);
  });

  it("leaves out what the stream did not answer; an empty stream is built", () => {
    const m = createServeMetrics();
    const text = m.render({ natsConnected: false, sseClients: 0, timelineSeq: 7 });
    const v = parse(text);
    expect(v.get("tweetstream_nats_connected")).toBe(0);
    expect(text).not.toContain("tweetstream_stream_last_seq");
    expect(text).not.toContain("tweetstream_view_lag_events");
    expect(text).toContain("# TYPE tweetstream_http_requests_total counter\n");
    const empty = parse(m.render({ ...base, timelineSeq: 0, streamSeq: 0, lagSeconds: 0 }));
    expect(empty.get("tweetstream_view_build_progress")).toBe(1);
  });

  it("during the first build, progress is /readyz's seq of M, not memory's position", () => {
    const m = createServeMetrics();
    const v = parse(m.render({ ...base, timelineSeq: 0, building: { seq: 30, of: 120 } }));
    expect(v.get("tweetstream_view_build_progress")).toBe(0.25);
    const none = parse(m.render({ ...base, timelineSeq: 0, building: { seq: 0, of: 0 } }));
    expect(none.get("tweetstream_view_build_progress")).toBe(1);
  });

  it("labels: a route name or other; values escaped", () => {
    expect(routeLabel("POST", "/tweets/abc/likes")).toBe("likeTweet");
    expect(routeLabel("GET", "/metrics?x")).toBe("metrics");
    expect(routeLabel("DELETE", "/tweets")).toBe("other");
    expect(labelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });
});
