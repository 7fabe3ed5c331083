import { breakingChanges, OpenApiDoc } from './breaking-changes';

const base = (): OpenApiDoc => ({
  paths: {
    '/v1/models': {
      get: {
        parameters: [{ name: 'limit', in: 'query', required: false, schema: { type: 'integer' } }],
        responses: { '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Model' } } } } },
      },
      post: {
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['name'],
                properties: { name: { type: 'string' }, task: { type: 'string', enum: ['classification', 'regression'] } },
              },
            },
          },
        },
        responses: { '201': {} },
      },
    },
  },
  components: {
    schemas: {
      Model: {
        type: 'object',
        properties: { id: { type: 'string' }, name: { type: 'string' }, stage: { type: 'string', enum: ['draft', 'staging'] } },
      },
    },
  },
});

describe('breakingChanges', () => {
  it('accepts an identical or purely additive document', () => {
    const after = base();
    after.components!.schemas!.Model.properties!.extra = { type: 'string' };
    after.paths['/v1/new'] = { get: { responses: { '200': {} } } };
    const post = after.paths['/v1/models'].post.requestBody!.content!['application/json'].schema!;
    post.properties!.description = { type: 'string' };
    expect(breakingChanges(base(), base())).toEqual([]);
    expect(breakingChanges(base(), after)).toEqual([]);
  });

  it('reports removed paths and operations', () => {
    const after = base();
    delete (after.paths['/v1/models'] as Record<string, unknown>).post;
    expect(breakingChanges(base(), after)).toEqual(['POST /v1/models: operation removed']);
    expect(breakingChanges(base(), { paths: {} })).toEqual(['/v1/models: path removed']);
  });

  it('reports a removed response field, also behind $ref', () => {
    const after = base();
    delete after.components!.schemas!.Model.properties!.name;
    expect(breakingChanges(base(), after)).toEqual(['GET /v1/models 200.name: response field removed']);
  });

  it('reports new required request fields and parameters', () => {
    const after = base();
    after.paths['/v1/models'].post.requestBody!.content!['application/json'].schema!.required = ['name', 'task'];
    after.paths['/v1/models'].get.parameters!.push({ name: 'tenant', in: 'header', required: true });
    expect(breakingChanges(base(), after).sort()).toEqual([
      'GET /v1/models: new required header parameter tenant',
      'POST /v1/models request.task: new required request field',
    ]);
  });

  it('reports a narrowed enum and a changed type', () => {
    const after = base();
    after.paths['/v1/models'].post.requestBody!.content!['application/json'].schema!.properties!.task.enum = ['classification'];
    after.components!.schemas!.Model.properties!.id = { type: 'integer' };
    expect(breakingChanges(base(), after).sort()).toEqual([
      'GET /v1/models 200.id: type changed from "string" to "integer"',
      'POST /v1/models request.task: enum narrowed (removed regression)',
    ]);
  });
});
