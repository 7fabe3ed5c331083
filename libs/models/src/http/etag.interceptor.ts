import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { map, Observable } from 'rxjs';
import { WithHeaders } from '@app/common';
import { etagOf } from '../domain/etag';

/**
 * Sets ETag from the representation the handler returns: the same function the services use to
 * check If-Match, so a tag read from a GET is exactly what a later PATCH/transition compares.
 */
@Injectable()
export class EtagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      map((body: unknown) => {
        // A promotion waiting for approval (202) is not the version's representation: no tag.
        if (!(body instanceof WithHeaders)) void reply.header('ETag', etagOf(body));
        return body;
      }),
    );
  }
}
