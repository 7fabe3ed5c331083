import { applyDecorators } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';

export const ETAG_HEADER = {
  ETag: { description: 'Strong entity tag of this representation; send it back in If-Match', schema: { type: 'string' } },
};

/** Documents optimistic concurrency on a write. */
export const ApiIfMatch = () =>
  applyDecorators(
    ApiHeader({
      name: 'If-Match',
      required: false,
      description: 'The ETag last read; the write is refused with 412 if the resource changed since',
    }),
  );
