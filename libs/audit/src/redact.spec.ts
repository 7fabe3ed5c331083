import { REDACTED, redactSecrets } from './redact';

describe('redactSecrets', () => {
  it('replaces secret-named keys at any depth and keeps the rest', () => {
    const out = redactSecrets({
      email: 'a@b.c',
      password: 'hunter2hunter2',
      nested: { clientSecret: 's', refreshToken: 't', passwordHash: 'h', key: 'mgk_x', keyPrefix: 'mgk_ab' },
      list: [{ apiKey: 'k', name: 'n' }],
      roles: { from: ['consumer'], to: ['admin'] },
    });
    expect(out).toEqual({
      email: 'a@b.c',
      password: REDACTED,
      nested: { clientSecret: REDACTED, refreshToken: REDACTED, passwordHash: REDACTED, key: REDACTED, keyPrefix: 'mgk_ab' },
      list: [{ apiKey: REDACTED, name: 'n' }],
      roles: { from: ['consumer'], to: ['admin'] },
    });
  });

  it('turns dates into ISO strings', () => {
    expect(redactSecrets({ at: new Date('2030-01-02T03:04:05.000Z') })).toEqual({ at: '2030-01-02T03:04:05.000Z' });
  });
});
