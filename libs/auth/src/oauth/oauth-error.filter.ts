import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem, ValidationFailedError } from '@app/common';
import { OAuthError } from './oauth-error';

/**
 * The token endpoint speaks RFC 6749 §5.2 (`{error, error_description}`), which OAuth2 client
 * libraries parse. Everything that is not an OAuth error (rate limits, outages) stays a problem.
 */
@Catch()
export class OAuthErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('OAuth');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const grantType = (http.getRequest<FastifyRequest>().body as { grant_type?: unknown } | undefined)?.grant_type;
    const oauth =
      error instanceof OAuthError
        ? error
        : error instanceof ValidationFailedError
          ? // Another grant's parameters fail our DTO; what the client needs to hear is the grant.
            typeof grantType === 'string' && grantType !== 'client_credentials'
            ? new OAuthError('unsupported_grant_type', 'Only grant_type=client_credentials is supported.')
            : new OAuthError('invalid_request', (error.errors ?? []).map((e) => e.message).join('; ') || error.message)
          : null;
    if (!oauth) return sendProblem(error, http.getRequest<FastifyRequest>(), reply, this.logger);
    void reply
      .status(oauth.status)
      .headers({
        'cache-control': 'no-store',
        pragma: 'no-cache',
        ...(oauth.status === 401 ? { 'www-authenticate': 'Basic realm="modelgate"' } : {}),
      })
      .type('application/json')
      .send(JSON.stringify({ error: oauth.error, error_description: oauth.description }));
  }
}
