import { applyDecorators, Type } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, getSchemaPath } from '@nestjs/swagger';

/** Documents a 200 collection answer: `{ items: T[], page: { limit, offset, total } }`. */
export function ApiPageResponse(item: Type<unknown>, description?: string) {
  return applyDecorators(
    ApiExtraModels(item),
    ApiOkResponse({
      description,
      schema: {
        type: 'object',
        required: ['items', 'page'],
        properties: {
          items: { type: 'array', items: { $ref: getSchemaPath(item) } },
          page: {
            type: 'object',
            required: ['limit', 'offset', 'total'],
            properties: {
              limit: { type: 'integer', example: 20 },
              offset: { type: 'integer', example: 0 },
              total: { type: 'integer', example: 1 },
            },
          },
        },
      },
    }),
  );
}
