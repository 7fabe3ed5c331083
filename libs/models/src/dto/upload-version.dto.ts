import type { ApiBody } from '@nestjs/swagger';

/** An OpenAPI schema object as @nestjs/swagger takes it (the package does not export the type by name). */
type SchemaObject = Exclude<NonNullable<Extract<Parameters<typeof ApiBody>[0], { schema?: unknown }>['schema']>, { $ref: string }>;

/** The multipart body of POST /v1/models/{name}/versions, for OpenAPI (and SDK generators). */
export const UPLOAD_VERSION_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'Either `files` (model.json + weight shards, one part per file) or one `archive` (.zip or .tar.gz).',
  properties: {
    files: {
      type: 'array',
      items: { type: 'string', format: 'binary' },
      description: 'model.json and its weight files; the part filename is the path model.json refers to',
    },
    archive: { type: 'string', format: 'binary', description: 'A .zip or .tar.gz holding model.json and its weights' },
    description: { type: 'string', maxLength: 2000 },
    labels: { type: 'string', description: 'JSON array of class names in output order, e.g. ["setosa","versicolor","virginica"]' },
    metrics: { type: 'string', description: 'JSON object, e.g. {"accuracy":0.97}' },
    params: { type: 'string', description: 'JSON object of training parameters' },
  },
};
