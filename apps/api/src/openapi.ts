import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { SECURITY_SCHEMES } from '@app/common';

/** The OpenAPI document generated from the code: served at /docs and committed as openapi.json. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('ModelGate')
    .setDescription(
      'Register, version, train and serve machine-learning models. Errors are RFC 9457 application/problem+json ' +
        'with a stable `code` and the `requestId`; every response carries X-Request-Id.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, SECURITY_SCHEMES.bearer)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, SECURITY_SCHEMES.apiKey)
    .addOAuth2({ type: 'oauth2', flows: { clientCredentials: { tokenUrl: '/v1/auth/token', scopes: {} } } }, SECURITY_SCHEMES.oauth2)
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    // Method names become SDK method names; tests keep them unique.
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
  });
  return sortKeys(document) as OpenAPIObject;
}

/** Deterministic output: the committed file must not change with module load order. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function serveOpenApi(app: INestApplication, document: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
    yamlDocumentUrl: 'docs/openapi.yaml',
    customSiteTitle: 'ModelGate API',
  });
}
