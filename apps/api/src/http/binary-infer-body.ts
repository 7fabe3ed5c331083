import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { assertJsonDepth } from '@app/common';

/** The routes that take Triton's binary tensor data extension (an `application/octet-stream` body). */
export const BINARY_INFER_ROUTES: ReadonlySet<string> = new Set(['/v2/models/:name/infer', '/v2/models/:name/versions/:version/infer']);

/** Fastify's own refusal of a content type no parser takes, so other routes answer exactly as before. */
function unsupportedMediaType(contentType: string | undefined): Error {
  return Object.assign(new Error(`Unsupported Media Type ${contentType ?? ''}`.trimEnd()), {
    statusCode: 415,
    code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
  });
}

/**
 * `application/octet-stream` bodies, as a Buffer within the body limit, on the v2 infer routes
 * only (anywhere else a 415, as without this parser). The @InferenceBody decoding happens after
 * the guards; only the depth cap of the JSON part runs here, because it needs JSON_MAX_DEPTH and
 * must hold before that JSON is parsed, as it does for `application/json` bodies. A header that
 * is not a usable length is left for the decoder to refuse with its precise message.
 */
export function installBinaryInferBodyParser(app: NestFastifyApplication, limits: { bodyLimitBytes: number; jsonMaxDepth: number }): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: limits.bodyLimitBytes }, (request, body, done) => {
      if (!BINARY_INFER_ROUTES.has(request.routeOptions.url ?? '')) {
        done(unsupportedMediaType(request.headers['content-type']), undefined);
        return;
      }
      const buffer = body as Buffer;
      const header = request.headers['inference-header-content-length'];
      const length = typeof header === 'string' && /^\d{1,15}$/.test(header) ? Number(header) : undefined;
      try {
        if (length !== undefined && length <= buffer.length) assertJsonDepth(buffer.subarray(0, length), limits.jsonMaxDepth);
      } catch (error) {
        done(error as Error, undefined);
        return;
      }
      done(null, buffer);
    });
}
