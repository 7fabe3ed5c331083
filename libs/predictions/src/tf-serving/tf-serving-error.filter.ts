import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, PROBLEM_CONTENT_TYPE, toProblem } from '@app/common';

/**
 * TF Serving's clients read `error` from every failure and expect its status mapping (an invalid
 * argument is a 400, not a 422); the problem document keeps all of its members besides.
 */
@Catch()
export class TfServingErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendTfServingProblem(error, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.logger);
  }
}

/** The problem document of a TF Serving route: TF Serving's status mapping, and `error` (= `detail`). */
export function sendTfServingProblem(error: unknown, request: FastifyRequest, reply: FastifyReply, logger: Pick<Logger, 'error'>): void {
  const problem = toProblem(asTfServingError(error), { requestId: String(request.id), instance: request.url.split('?')[0] });
  if (problem.unexpected) logger.error({ err: error, requestId: request.id, msg: 'unexpected error while serving request' });
  if (reply.sent) return;
  void reply
    .status(problem.status)
    .headers(problem.headers)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify({ ...problem.body, error: problem.body.detail }));
}

/** The catch-all detail of a validation failure: TF Serving clients read `error` alone, so it says what failed. */
const GENERIC_DETAIL = 'The request is not valid.';

/** TF Serving answers INVALID_ARGUMENT with 400: input that does not fit the model is one. */
export function asTfServingError(error: unknown): unknown {
  if (!(error instanceof DomainError)) return error;
  const specific = error.message === GENERIC_DETAIL && error.errors?.length;
  if (error.kind !== 'unprocessable' && !specific) return error;
  const message = specific ? `The request is not valid: ${error.errors!.map((e) => e.message).join('; ')}.` : error.message;
  return new DomainError(error.kind === 'unprocessable' ? 'bad-request' : error.kind, error.code, message, {
    errors: error.errors,
    extensions: error.extensions,
    headers: error.headers,
    cause: error,
  });
}
