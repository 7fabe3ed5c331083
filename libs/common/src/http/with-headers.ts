import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { map, Observable } from 'rxjs';

/**
 * A service result that also carries response headers (X-Model-Version, Deprecation, X-Cache...),
 * and may say the answer's status (202 for a promotion that waits for approval): services stay
 * free of HTTP objects and controllers stay one line; the global WithHeadersInterceptor moves the
 * headers and status onto the reply and sends the body.
 */
export class WithHeaders<T> {
  constructor(
    readonly body: T,
    readonly headers: Record<string, string>,
    readonly status?: number,
  ) {}
}

@Injectable()
export class WithHeadersInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((result: unknown) => {
        if (!(result instanceof WithHeaders)) return result;
        const reply = context.switchToHttp().getResponse<FastifyReply>();
        void reply.headers(result.headers);
        if (result.status !== undefined) void reply.status(result.status);
        return result.body;
      }),
    );
  }
}
