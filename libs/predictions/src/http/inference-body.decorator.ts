import type { IncomingHttpHeaders } from 'node:http';
import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ValidationFailedError } from '@app/common';
import { decodeBinaryInferRequest, INFERENCE_HEADER_CONTENT_LENGTH } from '../v2/binary-tensor-data';

/**
 * The body of a predict/infer call, checked for its envelope only. The payload's rows are checked
 * once, against the model's signature, by the service; running class-transformer and class-validator
 * over thousands of numbers first (what the global ValidationPipe would do with the DTO) would cost
 * more than the prediction. The DTO classes still document the body in OpenAPI.
 */
export const InferenceBody = createParamDecorator((allowed: readonly string[], ctx: ExecutionContext): Record<string, unknown> => {
  const request = ctx.switchToHttp().getRequest<{ body?: unknown; headers: IncomingHttpHeaders }>();
  return inferenceEnvelope(request.body, allowed, request.headers);
});

/**
 * The envelope check of {@link InferenceBody}, for the lean predict routes too. A Buffer body is a
 * v2 `application/octet-stream` request (binary tensor data extension; only the v2 infer routes
 * parse that type): it is decoded here, after the guards, into the JSON request it stands for.
 */
export function inferenceEnvelope(body: unknown, allowed: readonly string[], headers: IncomingHttpHeaders = {}): Record<string, unknown> {
  if (Buffer.isBuffer(body) && allowed.includes('inputs')) {
    body = decodeBinaryInferRequest(body, headers[INFERENCE_HEADER_CONTENT_LENGTH]);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body) || Buffer.isBuffer(body)) {
    throw new ValidationFailedError([{ field: 'body', message: 'must be a JSON object' }], 'The request body must be a JSON object.');
  }
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length) {
    throw new ValidationFailedError(unknown.map((field) => ({ field, message: `${field} is not an accepted field` })));
  }
  const id = (body as { id?: unknown }).id;
  if (id !== undefined && (typeof id !== 'string' || id.length > 256)) {
    throw new ValidationFailedError([{ field: 'id', message: 'id must be a string of at most 256 characters' }]);
  }
  return body as Record<string, unknown>;
}

export const V1_PREDICT_FIELDS = ['instances'] as const;
export const V2_INFER_FIELDS = ['id', 'parameters', 'inputs', 'outputs'] as const;
export const TF_PREDICT_FIELDS = ['signature_name', 'instances', 'inputs'] as const;
export const TF_EXAMPLES_FIELDS = ['signature_name', 'context', 'examples'] as const;
