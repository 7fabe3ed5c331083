import type { ApiBody } from '@nestjs/swagger';

/** An OpenAPI schema object as @nestjs/swagger takes it (the package does not export the type by name). */
type SchemaObject = Exclude<NonNullable<Extract<Parameters<typeof ApiBody>[0], { schema?: unknown }>['schema']>, { $ref: string }>;

/**
 * The multipart body of POST /v1/models/{name}/versions, for OpenAPI (and SDK generators). The text
 * fields' examples are empty on purpose: Swagger UI fills its form with them, and an empty field is
 * not sent (a placeholder such as "string" would be taken as a value).
 */
export const UPLOAD_VERSION_SCHEMA: SchemaObject = {
  type: 'object',
  description:
    'Either `files` (model.json + weight shards, one part per file) or one `archive` (.zip or .tar.gz). ' +
    'A text field sent empty, or an empty `files`/`archive` part, counts as not sent.',
  properties: {
    files: {
      type: 'array',
      items: { type: 'string', format: 'binary' },
      // Empty, so that Swagger UI's form starts with no file input: it would send an unfilled one as the text "string".
      example: [],
      description: 'model.json and its weight files, one part each; the part filename is the path model.json refers to',
    },
    archive: { type: 'string', format: 'binary', description: 'A .zip or .tar.gz holding model.json and its weights' },
    description: { type: 'string', maxLength: 2000, example: '', description: 'Free text, at most 2,000 characters' },
    labels: {
      type: 'string',
      example: '',
      description:
        'Class names in output order: a JSON array (["setosa","versicolor","virginica"]) or the names separated by commas ' +
        '(setosa,versicolor,virginica). Default: labels.json in the artifact, if any.',
    },
    metrics: { type: 'string', example: '', description: 'JSON object, e.g. {"accuracy":0.97}' },
    params: { type: 'string', example: '', description: 'JSON object of training parameters, e.g. {"epochs":30}' },
  },
};
