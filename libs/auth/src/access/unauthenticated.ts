import { DomainError, type ErrorCode } from '@app/common';

/** A 401 problem with an RFC 6750 challenge, so clients know to (re)authenticate. */
export function unauthenticated(code: ErrorCode, detail: string, bearerError?: 'invalid_token' | 'invalid_request'): DomainError {
  const challenge = bearerError
    ? `Bearer realm="modelgate", error="${bearerError}", error_description="${detail.replace(/"/g, "'")}"`
    : 'Bearer realm="modelgate"';
  return new DomainError('unauthenticated', code, detail, { headers: { 'WWW-Authenticate': challenge } });
}
