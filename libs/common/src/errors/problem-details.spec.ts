import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { ConflictError, DomainError, ValidationFailedError } from './domain-error';
import { toProblem } from './problem-details';

const ctx = { requestId: 'req-1', instance: '/v1/models/x' };

describe('toProblem', () => {
  it('maps a domain error kind to its status and keeps its code, extensions and headers', () => {
    const p = toProblem(new ConflictError('ILLEGAL_TRANSITION', 'Cannot move', { allowedTargets: ['staging'] }), ctx);
    expect(p.status).toBe(409);
    expect(p.body).toEqual({
      type: 'https://modelgate.dev/problems/illegal-transition',
      title: 'Conflict',
      status: 409,
      detail: 'Cannot move',
      instance: '/v1/models/x',
      code: 'ILLEGAL_TRANSITION',
      requestId: 'req-1',
      allowedTargets: ['staging'],
    });
    const limited = toProblem(new DomainError('rate-limited', 'X', 'slow down', { headers: { 'Retry-After': '3' } }), ctx);
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
    const p = toProblem(new ConflictError('X', 'nope'), { requestId: 'r', instance: '/v2/models/m/infer' });
    expect(p.body.error).toBe('nope');
    expect(toProblem(new ConflictError('X', 'nope'), ctx).body.error).toBeUndefined();
  });
});
