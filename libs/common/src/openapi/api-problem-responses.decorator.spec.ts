import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ApiProblemResponses, PROBLEM_EXAMPLE_INSTANCE } from './api-problem-responses.decorator';

@Controller('things')
class ThingsController {
  @Get(':id')
  @ApiProblemResponses(401, 403)
  @ApiProblemResponses(400, 'MODEL_NOT_FOUND', [409, 'MODEL_VERSION_RETIRED', 'ALIAS_RESERVED'], 'RETIREMENT_REQUIRES_ADMIN')
  get() {
    return {};
  }
}

@Module({ controllers: [ThingsController] })
class ThingsModule {}

type Media = { examples: Record<string, { value: Record<string, unknown> }> };

describe('ApiProblemResponses', () => {
  let responses: Record<string, { description: string; content: Record<string, Media> }>;

  beforeAll(async () => {
    const app = await NestFactory.create(ThingsModule, new FastifyAdapter(), { logger: false });
    const doc = SwaggerModule.createDocument(app, new DocumentBuilder().build());
    responses = (doc.paths['/things/{id}'].get as unknown as { responses: typeof responses }).responses;
    await app.close();
  });

  const codes = (status: number) => Object.keys(responses[status].content['application/problem+json'].examples);

  it('gives each status its own examples: the codes named for it, else its usual ones', () => {
    expect(codes(400)).toEqual(['VALIDATION_FAILED']);
    expect(codes(404)).toEqual(['MODEL_NOT_FOUND']);
    expect(codes(409)).toEqual(['MODEL_VERSION_RETIRED', 'ALIAS_RESERVED']);
    expect(codes(401)).toEqual(expect.arrayContaining(['UNAUTHENTICATED', 'TOKEN_EXPIRED', 'AMBIGUOUS_CREDENTIALS']));
  });

  it('adds up decorators on one status, with one description', () => {
    expect(codes(403)).toEqual(['RETIREMENT_REQUIRES_ADMIN', 'INSUFFICIENT_ROLE']);
    expect(responses[403].description).not.toContain('\n');
  });

  it('writes each example as the server would, with the status it is listed under', () => {
    for (const status of Object.keys(responses)) {
      for (const [code, { value }] of Object.entries(responses[status].content['application/problem+json'].examples)) {
        expect(value).toMatchObject({ status: Number(status), code, instance: PROBLEM_EXAMPLE_INSTANCE });
        expect(value.type).toBe(`https://modelgate.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`);
      }
    }
    expect(responses[409].content['application/problem+json'].examples.MODEL_VERSION_RETIRED.value).toMatchObject({
      title: 'Conflict',
      model: 'iris',
      version: 2,
    });
  });

  it('refuses a code under a status the catalogue does not give it', () => {
    expect(() => ApiProblemResponses([404, 'RATE_LIMITED'])).toThrow(/RATE_LIMITED is not answered with 404/);
  });
});
