import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { map, Observable } from 'rxjs';

/**
 * A service result that also carries response headers (X-Model-Version, Deprecation, X-Cache...):
 * services stay free of HTTP objects and controllers stay one line; the global
 * WithHeadersInterceptor moves the headers onto the reply and sends the body.
 */
export class WithHeaders<T> {
  constructor(
    readonly body: T,
    readonly headers: Record<string, string>,
  ) {}
}

@Injectable()
export class WithHeadersInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((result: unknown) => {
        if (!(result instanceof WithHeaders)) return result;
        void context.switchToHttp().getResponse<FastifyReply>().headers(result.headers);
        return result.body;
      }),
    );
  }
}
