import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestTraceOf } from '../logging/trace-scope';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem-details';

/** The single HTTP boundary for errors: every failure leaves as application/problem+json. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(error, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.logger);
  }
}

export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply, logger: Pick<Logger, 'error'>) {
  const problem = toProblem(error, { requestId: String(request.id), instance: request.url.split('?')[0] });
  if (problem.unexpected) {
    // Named here too: the lean inference routes do not run in the trace's scope.
    const trace = request.raw && requestTraceOf(request.raw);
    logger.error({
      err: error,
      requestId: request.id,
      traceId: trace?.traceId,
      spanId: trace?.spanId,
      msg: 'unexpected error while serving request',
    });
  }
  if (reply.sent) return;
  void reply
    .status(problem.status)
    .headers(problem.headers)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problem.body));
}
