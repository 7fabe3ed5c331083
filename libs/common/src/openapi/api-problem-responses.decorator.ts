import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ERROR_CODES, type ErrorCode, type ProblemStatus } from '../errors/error-codes';
import { problemType } from '../errors/problem-details';
import { PROBLEM_EXAMPLES } from './problem-examples';
import { ProblemDocumentDto } from './problem-document.dto';

const DESCRIPTIONS: Record<ProblemStatus, string> = {
  400: 'The request is malformed or fails validation',
  401: 'Missing or invalid credentials',
  403: 'Authenticated, but not allowed to do this',
  404: 'No such resource',
  405: 'Method not allowed',
  406: 'Not acceptable',
  408: 'The request did not arrive in time',
  409: 'Conflicts with the current state of the resource',
  410: 'The resource is gone (retired)',
  412: 'If-Match does not match the current ETag',
  413: 'The body is larger than this route accepts',
  414: 'A path segment is too long',
  415: 'Unsupported content type',
  422: 'Understood but not processable (names what is wrong)',
  429: 'Too many requests; see Retry-After',
  431: 'Request headers too large',
  500: 'An unexpected error',
  503: 'A dependency is unavailable; see Retry-After',
};

/** The codes every route that answers this status may give, when a route names none of its own. */
const DEFAULT_CODES: Record<ProblemStatus, readonly ErrorCode[]> = {
  400: ['VALIDATION_FAILED'],
  // What the access guard answers on every authenticated route.
  401: [
    'UNAUTHENTICATED',
    'TOKEN_INVALID',
    'TOKEN_EXPIRED',
    'TOKEN_REVOKED',
    'CREDENTIALS_REVOKED',
    'API_KEY_INVALID',
    'AMBIGUOUS_CREDENTIALS',
    'UNSUPPORTED_AUTHORIZATION',
  ],
  403: ['INSUFFICIENT_ROLE'],
  404: ['NOT_FOUND'],
  405: ['METHOD_NOT_ALLOWED'],
  406: ['NOT_ACCEPTABLE'],
  408: ['REQUEST_TIMEOUT'],
  409: ['CONFLICT'],
  410: ['MODEL_VERSION_RETIRED'],
  412: ['PRECONDITION_FAILED'],
  413: ['PAYLOAD_TOO_LARGE'],
  414: ['URI_TOO_LONG'],
  415: ['UNSUPPORTED_MEDIA_TYPE'],
  422: ['VALIDATION_FAILED'],
  429: ['RATE_LIMITED'],
  431: ['HEADERS_TOO_LARGE'],
  500: ['INTERNAL_ERROR'],
  503: ['DATABASE_UNAVAILABLE'],
};

/**
 * What a route may answer: a status (its usual codes, {@link DEFAULT_CODES}), a code (at its first
 * catalogue status), or `[status, ...codes]` (a code at another of its statuses, or several at once).
 */
export type ProblemResponse = ProblemStatus | ErrorCode | readonly [ProblemStatus, ...ErrorCode[]];

/** Where a route's problem codes are kept, per status, so that several decorators add up. */
const PROBLEM_CODES_KEY = 'modelgate:problem-codes';

/** Stands for the request path in the examples; the document builder puts each operation's path there. */
export const PROBLEM_EXAMPLE_INSTANCE = '{instance}';

/** A request id for examples. */
const EXAMPLE_REQUEST_ID = '3f1c2b7e-8a4d-4c8e-9f1a-2b3c4d5e6f70';

/**
 * Documents problem+json responses, each status with its own examples: one per code the route may
 * answer with it (Swagger UI shows them in a list). Decorators add up: `@Roles` documents 401/403,
 * a route adds its own; naming a code under a status the catalogue does not give it throws.
 *
 *   @ApiProblemResponses(400, 'MODEL_NOT_FOUND', [409, 'MODEL_VERSION_RETIRED', 'ALIAS_RESERVED'])
 */
export function ApiProblemResponses(...responses: ProblemResponse[]) {
  const wanted = new Map<ProblemStatus, Set<ErrorCode>>();
  const plain = new Set<ProblemStatus>();
  for (const response of responses) {
    if (typeof response === 'number') {
      plain.add(response);
      continue;
    }
    const [status, ...codes] = typeof response === 'string' ? [ERROR_CODES[response].status[0] as ProblemStatus, response] : response;
    for (const code of codes) {
      if (!(ERROR_CODES[code].status as readonly unknown[]).includes(status)) {
        throw new Error(`ApiProblemResponses: ${code} is not answered with ${status} (error-codes.ts gives ${ERROR_CODES[code].status.join(', ')})`);
      }
    }
    wanted.set(status, new Set([...(wanted.get(status) ?? []), ...codes]));
  }
  for (const status of plain) if (!wanted.has(status)) wanted.set(status, new Set(DEFAULT_CODES[status]));

  const document = (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const holder = (descriptor?.value ?? target) as object;
    const known = (Reflect.getMetadata(PROBLEM_CODES_KEY, holder) ?? {}) as Partial<Record<ProblemStatus, ErrorCode[]>>;
    const codes = { ...known };
    for (const [status, added] of wanted) codes[status] = [...new Set([...(known[status] ?? []), ...added])];
    Reflect.defineMetadata(PROBLEM_CODES_KEY, codes, holder);
    for (const status of wanted.keys()) {
      // @nestjs/swagger joins the descriptions of two decorators of one status and keeps the last
      // content: the description is given once, the content holds every code so far.
      const description = known[status] ? '' : `${DESCRIPTIONS[status] ?? STATUS_CODES[status] ?? 'Error'}.`;
      ApiResponse({ status, description, content: problemContent(status, codes[status]!) })(target, key!, descriptor!);
    }
    return descriptor;
  };
  return applyDecorators(ApiExtraModels(ProblemDocumentDto), document as MethodDecorator & ClassDecorator);
}

function problemContent(status: ProblemStatus, codes: readonly ErrorCode[]) {
  return {
    'application/problem+json': {
      schema: { $ref: getSchemaPath(ProblemDocumentDto) },
      examples: Object.fromEntries(codes.map((code) => [code, { summary: `${code}: ${plain(ERROR_CODES[code].meaning)}`, value: problemExample(code, status) }])),
    },
  };
}

/** A problem document as the server writes it for this code and status (instance: see PROBLEM_EXAMPLE_INSTANCE). */
export function problemExample(code: ErrorCode, status: number): Record<string, unknown> {
  const example = PROBLEM_EXAMPLES[code];
  const specific = typeof example === 'function' ? example(status) : example;
  return {
    type: problemType(code),
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail: specific?.detail ?? plain(ERROR_CODES[code].meaning),
    instance: PROBLEM_EXAMPLE_INSTANCE,
    code,
    requestId: EXAMPLE_REQUEST_ID,
    ...(specific?.extensions ?? {}),
  };
}

function plain(markdown: string): string {
  return markdown.replace(/`/g, '');
}
