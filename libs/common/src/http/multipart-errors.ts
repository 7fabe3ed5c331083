import { UnsupportedMediaTypeException } from '@nestjs/common';
import { DomainError, ValidationFailedError } from '../errors/domain-error';

/**
 * What every multipart route answers for @fastify/multipart and busboy errors that are not about
 * its own limits (those each route words itself: an artifact is not a dataset): a field name that is
 * not allowed, a body that is not multipart, or one that cannot be parsed. Returns the error as is
 * when it is none of these.
 */
export function mapCommonMultipartError(error: unknown): unknown {
  if (error instanceof DomainError) return error;
  switch ((error as { code?: string }).code) {
    case 'FST_PROTO_VIOLATION':
      return new ValidationFailedError([{ field: 'body', message: 'a field name is not allowed' }]);
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new UnsupportedMediaTypeException('The body is not multipart/form-data.');
    default:
      if (error instanceof Error && /multipart|boundary|unexpected end of form|malformed/i.test(error.message)) {
        return new DomainError('bad-request', 'MALFORMED_MULTIPART', `The multipart body cannot be read: ${error.message}.`);
      }
      return error;
  }
}
