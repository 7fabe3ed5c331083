import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { ConflictError, DomainError, ValidationFailedError } from './domain-error';
import { isErrorCode } from './error-codes';
import { boundFieldErrors, PROBLEM_LIMITS, toProblem, truncateText } from './problem-details';

const ctx = { requestId: 'req-1', instance: '/v1/models/x' };

describe('toProblem', () => {
  it('maps a domain error kind to its status and keeps its code, extensions and headers', () => {
    const p = toProblem(new ConflictError('INVALID_STAGE_TRANSITION', 'Cannot move', { allowedTargets: ['staging'] }), ctx);
    expect(p.status).toBe(409);
    expect(p.body).toEqual({
      type: 'https://modelgate.dev/problems/invalid-stage-transition',
      title: 'Conflict',
      status: 409,
      detail: 'Cannot move',
      instance: '/v1/models/x',
      code: 'INVALID_STAGE_TRANSITION',
      requestId: 'req-1',
      allowedTargets: ['staging'],
    });
    const limited = toProblem(new DomainError('rate-limited', 'RATE_LIMITED', 'slow down', { headers: { 'Retry-After': '3' } }), ctx);
    expect(limited.status).toBe(429);
    expect(limited.headers['Retry-After']).toBe('3');
  });

  it('carries field errors for validation problems', () => {
    const p = toProblem(new ValidationFailedError([{ field: 'name', message: 'name is required' }]), ctx);
    expect(p.status).toBe(400);
    expect(p.body.errors).toEqual([{ field: 'name', message: 'name is required' }]);
  });

  it('maps framework errors: bad JSON 400, too large 413', () => {
    const json = Object.assign(new SyntaxError('Unexpected end of JSON input'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
    expect(toProblem(json, ctx).body.code).toBe('MALFORMED_JSON');
    const big = Object.assign(new Error('Request body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    expect(toProblem(big, ctx)).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('maps Nest HTTP exceptions, including the unknown-route 404', () => {
    expect(toProblem(new NotFoundException('Cannot GET /x'), ctx).body.code).toBe('ROUTE_NOT_FOUND');
    expect(toProblem(new BadRequestException('bad'), ctx).body).toMatchObject({ status: 400, detail: 'bad' });
    expect(toProblem(new HttpException('Too Many Requests', 429), ctx).body.code).toBe('RATE_LIMITED');
  });

  it('hides the internals of unexpected errors', () => {
    const p = toProblem(new Error('connection string postgres://user:pw@db failed'), ctx);
    expect(p.status).toBe(500);
    expect(p.unexpected).toBe(true);
    expect(JSON.stringify(p.body)).not.toContain('postgres://');
    expect(p.body.detail).toBe('An unexpected error occurred.');
  });

  it('adds the Open Inference Protocol `error` string on /v2 routes', () => {
    const p = toProblem(new ConflictError('CONFLICT', 'nope'), { requestId: 'r', instance: '/v2/models/m/infer' });
    expect(p.body.error).toBe('nope');
    expect(toProblem(new ConflictError('CONFLICT', 'nope'), ctx).body.error).toBeUndefined();
  });
  describe('bounds what a problem echoes', () => {
    it('cuts detail (and the v2 error) and string extensions to 1 KB, instance to 256 characters, with an ellipsis', () => {
      const shape = `[${Array.from({ length: 200_000 }, () => 1).join(', ')}]`;
      const p = toProblem(
        new DomainError('unprocessable', 'UNPROCESSABLE', `expects [-1, 4], got ${shape}`, { extensions: { reason: shape, limit: 4 } }),
        {
          requestId: 'r',
          instance: `/v2/models/${'m'.repeat(5000)}/infer`,
        },
      );
      for (const key of ['detail', 'error', 'reason'] as const) {
        expect((p.body[key] as string).length).toBe(PROBLEM_LIMITS.maxTextChars);
        expect(p.body[key]).toMatch(/…$/);
      }
      expect(p.body.instance).toHaveLength(PROBLEM_LIMITS.maxInstanceChars);
      expect(p.body.detail).toMatch(/^expects \[-1, 4\], got \[1, 1/);
      expect(p.body.limit).toBe(4);
      expect(p.body.type).toBe('https://modelgate.dev/problems/unprocessable');
      expect(JSON.stringify(p.body).length).toBeLessThan(5 * 1024);
    });

    it('keeps 20 errors and says how many more there were; cuts long fields and messages', () => {
      const errors = Array.from({ length: 6002 }, (_, i) => ({
        field: `weights[${i}]`,
        message: `weight ${'w'.repeat(1000)} ${i} is missing`,
      }));
      const p = toProblem(new ValidationFailedError(errors), ctx);
      expect(p.body.errors).toHaveLength(21);
      expect(p.body.errors![20]).toEqual({ field: 'weights', message: 'and 5982 more errors' });
      expect(p.body.errors![0].message.length).toBe(PROBLEM_LIMITS.maxMessageChars);
      expect(boundFieldErrors([{ field: 'f'.repeat(1000), message: 'm' }])[0].field.length).toBe(PROBLEM_LIMITS.maxFieldChars);
    });

    it("keeps a list that already ends with its own 'and N more errors' entry", () => {
      const errors = [
        ...Array.from({ length: 20 }, (_, i) => ({ field: `instances[${i}]`, message: 'bad' })),
        { field: 'instances', message: 'and 80 more errors' },
      ];
      expect(boundFieldErrors(errors)).toEqual(errors);
    });

    it('never splits a surrogate pair', () => {
      expect(truncateText('ab😀cd', 4)).toBe('ab…');
      expect(truncateText('abc', 3)).toBe('abc');
    });
  });

  it('answers router refusals as problems without echoing the URL', () => {
    const tooLong = Object.assign(new Error(`'/v1/models/${'a'.repeat(300)}' is exceeding the max param length`), {
      statusCode: 414,
      code: 'FST_ERR_MAX_PARAM_LENGTH',
    });
    expect(toProblem(tooLong, ctx)).toMatchObject({ status: 414, body: { code: 'URI_TOO_LONG' } });
    expect(toProblem(tooLong, ctx).body.detail).not.toContain('aaaa');
    const badUrl = Object.assign(new Error("'/%' is not a valid url component"), { statusCode: 400, code: 'FST_ERR_BAD_URL' });
    expect(toProblem(badUrl, ctx)).toMatchObject({ status: 400, body: { code: 'MALFORMED_URL' } });
  });

  it("does not pass a library's own message through, even when it carries a 4xx status", () => {
    const typeError = Object.assign(new TypeError("Cannot read properties of undefined (reading 'producer')"), { status: 422 });
    const p = toProblem(typeError, ctx);
    expect(p.status).toBe(422);
    expect(p.body.detail).toBe('Unprocessable Entity.');
    const fastify = Object.assign(new Error('Unsupported Media Type: application/xml'), {
      statusCode: 415,
      code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
    });
    expect(toProblem(fastify, ctx).body.detail).toBe('Unsupported Media Type: application/xml');
  });

  it('never lets an extension replace a standard member (status stays the HTTP status)', () => {
    const p = toProblem(
      new DomainError('conflict', 'TRAINING_JOB_FINISHED', 'already succeeded', {
        extensions: { status: 'succeeded', code: 'X', reason: 'r' },
      }),
      ctx,
    );
    expect(p.body).toMatchObject({ status: 409, code: 'TRAINING_JOB_FINISHED', reason: 'r' });
  });

  it('answers a 4xx that has no code of its own with HTTP_ERROR (a catalogued code)', () => {
    const teapot = Object.assign(new Error('short and stout'), { statusCode: 418, code: 'FST_TEAPOT' });
    expect(toProblem(teapot, ctx)).toMatchObject({ status: 418, body: { code: 'HTTP_ERROR', title: "I'm a Teapot" } });
  });

  it('only ever writes catalogued codes', () => {
    const samples: unknown[] = [
      new NotFoundException('Cannot GET /x'),
      new NotFoundException('gone fishing'),
      new BadRequestException('bad'),
      new HttpException('Too Many Requests', 429),
      new HttpException('weird', 418),
      new HttpException('boom', 502),
      Object.assign(new Error('x'), { statusCode: 406, code: 'FST_INVALID_MULTIPART_CONTENT_TYPE' }),
      new Error('unexpected'),
    ];
    for (const error of samples) expect(isErrorCode(toProblem(error, ctx).body.code)).toBe(true);
  });
});
