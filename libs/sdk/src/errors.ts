import type { FieldErrorDto, ProblemDocumentDto } from './generated/types.gen';

/**
 * The stable error codes the API answers with (`code` of its problem documents), as the OpenAPI
 * document types them: a plain string today, a union of literals once the spec lists them as an enum.
 */
export type ErrorCode = NonNullable<ProblemDocumentDto['code']>;

/**
 * Codes the SDK assigns itself when there is no problem document to read:
 * - `NETWORK_ERROR`: no answer at all (connection refused or reset, DNS, timeout, aborted);
 * - `OAUTH_ERROR`: `POST /v1/auth/token` answers RFC 6749 errors (`{error, error_description}`), kept in `problem.error`;
 * - `UNEXPECTED_RESPONSE`: an answer that is not a problem document (a proxy's HTML page, an empty body...).
 */
export type ClientErrorCode = 'NETWORK_ERROR' | 'OAUTH_ERROR' | 'UNEXPECTED_RESPONSE';

/** An RFC 9457 problem document as ModelGate writes it, with any extension members it carries. */
export type Problem = Omit<Partial<ProblemDocumentDto>, 'code'> & { code?: ErrorCode | ClientErrorCode; [extension: string]: unknown };

const BRAND = Symbol.for('@modelgate/sdk/ModelGateError');

/**
 * Every failed call of `ModelGateClient` throws this: the server's problem document, typed.
 *
 * ```ts
 * try { await mg.models.get('iris'); }
 * catch (e) { if (isModelGateError(e, 'MODEL_NOT_FOUND')) ...; else throw e; }
 * ```
 */
export class ModelGateError extends Error {
  override readonly name = 'ModelGateError';
  /** HTTP status; 0 when no answer arrived (`NETWORK_ERROR`). */
  readonly status: number;
  readonly code: ErrorCode | ClientErrorCode;
  readonly title: string | undefined;
  readonly type: string | undefined;
  readonly detail: string;
  readonly instance: string | undefined;
  /** The server's request id (the problem's, else the `X-Request-Id` header): quote it to the operators. */
  readonly requestId: string | undefined;
  /** Field errors of a validation problem. */
  readonly errors: FieldErrorDto[] | undefined;
  /** Seconds the server asked to wait (`Retry-After` of a 429 or 503), when it said. */
  readonly retryAfterSeconds: number | undefined;
  /** The whole problem document, extension members included (e.g. `reason`, `line`, `allowed`). */
  readonly problem: Problem;

  constructor(
    problem: Problem,
    init: { status?: number; code?: ClientErrorCode; requestId?: string; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    const status = typeof problem.status === 'number' ? problem.status : (init.status ?? 0);
    const code = (typeof problem.code === 'string' ? problem.code : (init.code ?? 'UNEXPECTED_RESPONSE')) as ErrorCode | ClientErrorCode;
    const detail = typeof problem.detail === 'string' ? problem.detail : (problem.title ?? `HTTP ${status}`);
    super(`${code}: ${detail}`, init.cause === undefined ? undefined : { cause: init.cause });
    Object.defineProperty(this, BRAND, { value: true });
    this.status = status;
    this.code = code;
    this.title = problem.title;
    this.type = problem.type;
    this.detail = detail;
    this.instance = problem.instance;
    this.requestId = typeof problem.requestId === 'string' ? problem.requestId : init.requestId;
    this.errors = Array.isArray(problem.errors) ? problem.errors : undefined;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.problem = { ...problem, status, code };
  }

  /** The problem document (what `JSON.stringify` writes). */
  toJSON(): Problem {
    return { ...this.problem, detail: this.detail, ...(this.requestId ? { requestId: this.requestId } : {}) };
  }
}

/**
 * True for a ModelGateError (from this copy of the SDK or another: ESM and CommonJS builds loaded
 * side by side), optionally with the given code.
 */
export function isModelGateError(error: unknown, code?: ErrorCode | ClientErrorCode): error is ModelGateError {
  if (typeof error !== 'object' || error === null || !(BRAND in error)) return false;
  return code === undefined || (error as unknown as ModelGateError).code === code;
}

/** The error thrown for a failed HTTP answer: its problem document, or what can be made of the body. */
export function errorFromResponse(response: Response, body: unknown): ModelGateError {
  const requestId = response.headers.get('x-request-id') ?? undefined;
  const retryAfterSeconds = retryAfterHeaderSeconds(response.headers.get('retry-after'));
  const init = { status: response.status, requestId, retryAfterSeconds };
  if (isObject(body) && typeof body.code === 'string') return new ModelGateError(body as Problem, init);
  if (isObject(body) && typeof body.error === 'string') {
    const description = typeof body.error_description === 'string' ? `: ${body.error_description}` : '';
    return new ModelGateError(
      { ...body, status: response.status, detail: `${body.error}${description}` },
      { ...init, code: 'OAUTH_ERROR' },
    );
  }
  const text = typeof body === 'string' && body.trim() ? body.trim().slice(0, 300) : undefined;
  return new ModelGateError(
    {
      status: response.status,
      title: response.statusText || undefined,
      detail: text ?? `HTTP ${response.status} ${response.statusText}`.trim(),
    },
    { ...init, code: 'UNEXPECTED_RESPONSE' },
  );
}

/** What a generated operation resolves to. */
export type OperationResult<T> = { data?: T; error?: unknown; response?: Response };

/**
 * The data of a generated operation's result, or its failure as a ModelGateError: for calling an
 * operation the ModelGateClient has no method for, with the client's credentials and retries.
 *
 * ```ts
 * const users = await dataOf(listUsers({ client: mg.api }));
 * ```
 */
export async function dataOf<T>(call: Promise<OperationResult<T>>): Promise<T> {
  const result = await call;
  if (result.response?.ok) return result.data as T;
  if (!result.response) throw isModelGateError(result.error) ? result.error : networkError(result.error);
  throw errorFromResponse(result.response, result.error);
}

/** The error thrown when no answer arrived. */
export function networkError(cause: unknown): ModelGateError {
  const message =
    cause instanceof Error ? (cause.cause instanceof Error ? `${cause.message}: ${cause.cause.message}` : cause.message) : String(cause);
  return new ModelGateError({ detail: message }, { code: 'NETWORK_ERROR', cause });
}

/** `Retry-After` as seconds from now: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterHeaderSeconds(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, (at - now) / 1000);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
