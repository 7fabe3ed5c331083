import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ProblemDocumentDto } from './problem-document.dto';

const DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed or fails validation',
  401: 'Missing or invalid credentials',
  403: 'Authenticated, but the role does not allow this',
  404: 'No such resource',
  409: 'Conflicts with the current state of the resource',
  410: 'The resource is gone (retired)',
  412: 'If-Match does not match the current ETag',
  413: 'The body is larger than this route accepts',
  415: 'Unsupported content type',
  422: 'Understood but not processable (names what is wrong)',
  429: 'Too many requests; see Retry-After',
  503: 'A dependency is unavailable',
};

/** Documents problem+json responses for the given status codes. */
export function ApiProblemResponses(...statuses: number[]) {
  return applyDecorators(
    ApiExtraModels(ProblemDocumentDto),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? STATUS_CODES[status] ?? 'Error',
        content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDocumentDto) } } },
      }),
    ),
  );
}
