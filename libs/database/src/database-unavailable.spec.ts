import { QueryFailedError } from 'typeorm';
import { toProblem } from '@app/common';
import { DatabaseUnavailableError, isConnectionFailure, isDatabaseUnavailable } from './database-unavailable';

const errno = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: 'connect' });
const sqlstate = (code: string, message = 'x') => Object.assign(new Error(message), { code, severity: 'FATAL' });

describe('database unavailability', () => {
  it.each([
    ['connection refused', errno('ECONNREFUSED')],
    ['connection reset', errno('ECONNRESET')],
    ['pg lost its connection', new Error('Connection terminated unexpectedly')],
    ['pg-pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['a broken client reused', new Error('Client has encountered a connection error and is not queryable')],
    ['admin shutdown (57P01)', sqlstate('57P01', 'terminating connection due to administrator command')],
    ['server starting up (57P03)', sqlstate('57P03')],
    ['too many connections (53300)', sqlstate('53300')],
    ['connection exception class 08', sqlstate('08006')],
    ['every address refused', Object.assign(new Error(''), { errors: [errno('ECONNREFUSED'), errno('ECONNREFUSED')] })],
  ])('recognises %s', (_what, error) => {
    expect(isConnectionFailure(error)).toBe(true);
  });

  it.each([
    ['a unique violation', sqlstate('23505', 'duplicate key value violates unique constraint')],
    ['a syntax error', sqlstate('42601', 'syntax error at or near "SELEC"')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a non-error', 'ECONNREFUSED'],
  ])('does not mistake %s for an outage', (_what, error) => {
    expect(isConnectionFailure(error)).toBe(false);
  });

  it('answers 503 DATABASE_UNAVAILABLE with Retry-After, also when TypeORM wrapped it', () => {
    const direct = new DatabaseUnavailableError(errno('ECONNREFUSED'));
    const wrapped = new QueryFailedError('SELECT 1', [], direct);
    for (const error of [direct, wrapped]) {
      expect(isDatabaseUnavailable(error)).toBe(true);
      const problem = toProblem(error, { requestId: 'r', instance: '/v1/models' });
      expect(problem.status).toBe(503);
      expect(problem.body.code).toBe('DATABASE_UNAVAILABLE');
      expect(problem.headers['Retry-After']).toBe('5');
      expect(JSON.stringify(problem.body)).not.toMatch(/ECONNREFUSED|5432/);
    }
  });
});
