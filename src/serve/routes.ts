// The routes of `serve` and how a method + path finds one: 404 for an unknown path,
// 405 (with Allow) for a known path and another method. Pure, unit-tested.

export type RouteName =
  | "listTweets"
  | "createTweet"
  | "getTweet"
  | "likeTweet"
  | "events"
  | "healthz"
  | "readyz"
  | "metrics";

interface RouteDef {
  pattern: RegExp;
  methods: Partial<Record<string, RouteName>>;
}

const ROUTES: RouteDef[] = [
  { pattern: /^\/tweets$/, methods: { GET: "listTweets", POST: "createTweet" } },
  { pattern: /^\/tweets\/([^/]+)$/, methods: { GET: "getTweet" } },
  { pattern: /^\/tweets\/([^/]+)\/likes$/, methods: { POST: "likeTweet" } },
  { pattern: /^\/events$/, methods: { GET: "events" } },
  { pattern: /^\/healthz$/, methods: { GET: "healthz" } },
  { pattern: /^\/readyz$/, methods: { GET: "readyz" } },
  { pattern: /^\/metrics$/, methods: { GET: "metrics" } },
];

export type RouteMatch =
  | { ok: true; route: RouteName; params: string[] }
  | { ok: false; status: 404 }
  | { ok: false; status: 405; allow: string[] };

/** The allowed methods of a route definition, HEAD going with GET. */
function allowed(def: RouteDef): string[] {
  const methods = Object.keys(def.methods);
  return methods.includes("GET") ? [...methods, "HEAD"] : methods;
}

export function matchRoute(method: string, rawPath: string): RouteMatch {
  // one trailing slash is forgiven: /tweets/ is /tweets
  const path = rawPath.length > 1 && rawPath.endsWith("/") ? rawPath.slice(0, -1) : rawPath;
  for (const def of ROUTES) {
    const m = def.pattern.exec(path);
    if (!m) continue;
    let params: string[];
    try {
      params = m.slice(1).map((p) => decodeURIComponent(p));
    } catch {
      return { ok: false, status: 404 };
    }
    const route = def.methods[method === "HEAD" ? "GET" : method];
    if (!route) return { ok: false, status: 405, allow: allowed(def) };
    return { ok: true, route, params };
  }
  return { ok: false, status: 404 };
}
