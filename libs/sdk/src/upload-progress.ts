/** How much of a request body has been sent. */
export interface UploadProgress {
  loaded: number;
  /** The body's size in bytes. */
  total: number;
}

export type UploadProgressListener = (progress: UploadProgress) => void;

/**
 * A fetch over XMLHttpRequest that reports how much of the body has been sent: browsers' fetch cannot
 * (streamed request bodies need HTTP/2 and still report nothing). Undefined where there is no
 * XMLHttpRequest (Node), where uploads simply go without progress.
 */
export function uploadProgressFetch(onProgress: UploadProgressListener): typeof fetch | undefined {
  if (typeof XMLHttpRequest === 'undefined') return undefined;
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const request = new Request(input, init);
      const signal = init?.signal ?? undefined;
      if (signal?.aborted) {
        reject(signal.reason ?? new DOMException('The operation was aborted.', 'AbortError'));
        return;
      }
      const xhr = new XMLHttpRequest();
      xhr.open(request.method, request.url);
      xhr.responseType = 'blob';
      request.headers.forEach((value, name) => xhr.setRequestHeader(name, value));
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) onProgress({ loaded: e.loaded, total: e.total });
      };
      const onAbort = () => xhr.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      xhr.onload = () => {
        done();
        resolve(
          new Response(xhr.status === 204 || xhr.status === 304 ? null : (xhr.response as Blob), {
            status: xhr.status,
            statusText: xhr.statusText,
            headers: parseHeaders(xhr.getAllResponseHeaders()),
          }),
        );
      };
      xhr.onerror = () => {
        done();
        reject(new TypeError('Failed to fetch'));
      };
      xhr.onabort = () => {
        done();
        reject(signal?.reason ?? new DOMException('The operation was aborted.', 'AbortError'));
      };
      // The body as the caller gave it (the client has already buffered it: an ArrayBuffer or string).
      xhr.send((init?.body ?? null) as XMLHttpRequestBodyInit | null);
    });
}

function parseHeaders(raw: string): Headers {
  const headers = new Headers();
  for (const line of raw.trim().split(/[\r\n]+/)) {
    const at = line.indexOf(':');
    if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return headers;
}
