import { uniqueViolationOf } from './pg-errors';

describe('uniqueViolationOf', () => {
  it('recognises 23505 from the driver directly or wrapped by TypeORM, with its constraint', () => {
    expect(uniqueViolationOf({ code: '23505', constraint: 'users_email_key' })).toEqual({ constraint: 'users_email_key' });
    expect(uniqueViolationOf({ driverError: { code: '23505', constraint: 'uq_version' } })).toEqual({ constraint: 'uq_version' });
  });

  it('is null for any other error', () => {
    expect(uniqueViolationOf({ code: '23503' })).toBeNull();
    expect(uniqueViolationOf(new Error('boom'))).toBeNull();
    expect(uniqueViolationOf(undefined)).toBeNull();
  });
});
