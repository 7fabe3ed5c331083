/** A scripted fetch for the SDK's unit tests: records every request and answers from a handler. */

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Headers;
  body: ArrayBuffer | undefined;
  json(): unknown;
  form(): Promise<FormData>;
}

export type Handler = (request: RecordedRequest, nth: number) => Response | Promise<Response>;

export function fakeFetch(handler: Handler): { fetch: typeof fetch; requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const body = request.body ? await request.arrayBuffer() : undefined;
    const url = new URL(request.url);
    const recorded: RecordedRequest = {
      method: request.method,
      path: url.pathname + url.search,
      headers: request.headers,
      body,
      json: () => (body ? JSON.parse(new TextDecoder().decode(body)) : undefined),
      form: () => new Response(body, { headers: { 'content-type': request.headers.get('content-type') ?? '' } }).formData(),
    };
    requests.push(recorded);
    return handler(recorded, requests.length);
  }) as typeof fetch;
  return { fetch: fetchImpl, requests };
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const type = status >= 400 ? 'application/problem+json' : 'application/json';
  return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'content-type': type, ...headers } });
}

export function problem(
  status: number,
  code: string,
  detail = code,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  return jsonResponse(
    status,
    { type: 'about:blank', title: 'Problem', status, code, detail, instance: '/x', requestId: 'req-1', ...extra },
    headers,
  );
}

/** A JWT-shaped token whose `exp` is `expiresInSeconds` from now (not signed: the fake server does not check). */
export function fakeJwt(subject: string, expiresInSeconds: number): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: subject, exp: Math.floor(Date.now() / 1000) + expiresInSeconds })}.sig`;
}

/** A streamed text/event-stream body made of these chunks; `fail` breaks the connection after them. */
export function eventStream(chunks: string[], fail = false): Response {
  const encoder = new TextEncoder();
  const queue = [...chunks];
  const body = new ReadableStream<Uint8Array>({
    // One chunk per read, so that a failure comes after the chunks were read (error() would drop queued ones).
    pull(controller) {
      const chunk = queue.shift();
      if (chunk !== undefined) controller.enqueue(encoder.encode(chunk));
      else if (fail) controller.error(new TypeError('terminated'));
      else controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}
