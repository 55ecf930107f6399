// HTTP from a test to serve: fetch with JSON bodies, and answers typed loosely (the
// assertions check their shape).

/** fetch's json() is unknown in @types/node; the assertions check the shape */
export const anyJson = (v: unknown): any => v;

/** GET `url`, its body parsed as JSON. */
export const getJson = async (url: string): Promise<any> =>
  anyJson(await (await fetch(url)).json());

export const JSON_TYPE = { "Content-Type": "application/json" };

/** POST `body` (JSON, or a string sent as it is) to `url`; the Response. */
export const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: { ...JSON_TYPE, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

/** POST /tweets on serve at `baseUrl`; the Response. */
export const postTweet = (baseUrl: string, message = "m", author = "a") =>
  postJson(`${baseUrl}/tweets`, { message, author });
