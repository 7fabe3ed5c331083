import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JwtService } from '@nestjs/jwt';
import type { AuthConfig } from '../auth.config';
import { AccessTokenRejected, AccessTokens } from './access-tokens';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';

function jwtConfig(overrides: Partial<AuthConfig['jwt']> = {}): Pick<AuthConfig, 'jwt'> {
  return {
    jwt: {
      secret: SECRET,
      issuer: 'modelgate',
      audience: 'modelgate-api',
      accessTtlSeconds: 900,
      refreshTtlSeconds: 3600,
      privateKeyFile: undefined,
      publicKeyFile: undefined,
      ...overrides,
    },
  };
}

const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: object = {}) => ({
  sub: 'u1',
  roles: ['consumer'],
  kind: 'user',
  jti: 'j1',
  iss: 'modelgate',
  aud: 'modelgate-api',
  iat: now(),
  exp: now() + 600,
  ...extra,
});

/** Signs exactly what it is given: how an attacker would build a token. */
function handMade(header: object, payload: object, key: string | Buffer | null): string {
  const body = `${b64(header)}.${b64(payload)}`;
  return key === null ? `${body}.` : `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

function rejection(tokens: AccessTokens, token: string): string {
  try {
    tokens.verify(token);
  } catch (e) {
    if (e instanceof AccessTokenRejected) return e.reason;
    throw e;
  }
  return 'accepted';
}

describe('AccessTokens (HS256)', () => {
  const tokens = new AccessTokens(jwtConfig());

  it('issues a token with sub, roles, kind, jti, iss, aud and a 15-minute lifetime that verifies', () => {
    const issued = tokens.issue({ id: 'user-1', roles: ['ml-engineer'], kind: 'user' });
    expect(issued.expiresIn).toBe(900);
    const header = JSON.parse(Buffer.from(issued.token.split('.')[0], 'base64url').toString());
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    const payload = JSON.parse(Buffer.from(issued.token.split('.')[1], 'base64url').toString());
    expect(payload).toMatchObject({
      sub: 'user-1',
      roles: ['ml-engineer'],
      kind: 'user',
      jti: issued.jti,
      iss: 'modelgate',
      aud: 'modelgate-api',
    });
    expect(payload.exp - payload.iat).toBe(900);
    expect(tokens.verify(issued.token)).toEqual({ sub: 'user-1', roles: ['ml-engineer'], kind: 'user', jti: issued.jti });
  });

  it("carries a user's credential version as cv, and refuses a cv that is not a positive integer", () => {
    const issued = tokens.issue({ id: 'user-1', roles: ['consumer'], kind: 'user', credentialVersion: 3 });
    expect(tokens.verify(issued.token)).toEqual({ sub: 'user-1', roles: ['consumer'], kind: 'user', jti: issued.jti, cv: 3 });
    for (const cv of [0, -1, 1.5, '2', null]) {
      expect(rejection(tokens, handMade({ alg: 'HS256', typ: 'JWT' }, claims({ cv }), SECRET))).toBe('invalid');
    }
  });

  it('gives every token its own jti', () => {
    const a = tokens.issue({ id: 'u', roles: ['consumer'], kind: 'user' });
    const b = tokens.issue({ id: 'u', roles: ['consumer'], kind: 'user' });
    expect(a.jti).not.toBe(b.jti);
  });

  it('accepts a correctly hand-made token (the control for the cases below)', () => {
    expect(rejection(tokens, handMade({ alg: 'HS256', typ: 'JWT' }, claims(), SECRET))).toBe('accepted');
  });

  it('rejects alg none', () => {
    expect(rejection(tokens, handMade({ alg: 'none', typ: 'JWT' }, claims(), null))).toBe('invalid');
  });

  it('rejects a wrong signature and a tampered payload', () => {
    expect(rejection(tokens, handMade({ alg: 'HS256' }, claims(), 'another-secret'))).toBe('invalid');
    const good = handMade({ alg: 'HS256' }, claims(), SECRET).split('.');
    const tampered = [good[0], b64(claims({ roles: ['admin'] })), good[2]].join('.');
    expect(rejection(tokens, tampered)).toBe('invalid');
  });

  it('rejects an expired token as expired', () => {
    expect(rejection(tokens, handMade({ alg: 'HS256' }, claims({ iat: now() - 100, exp: now() - 1 }), SECRET))).toBe('expired');
  });

  it('rejects a token that is not valid yet (nbf in the future)', () => {
    expect(rejection(tokens, handMade({ alg: 'HS256' }, claims({ nbf: now() + 60 }), SECRET))).toBe('invalid');
  });

  it('rejects a wrong issuer or audience', () => {
    expect(rejection(tokens, handMade({ alg: 'HS256' }, claims({ iss: 'someone-else' }), SECRET))).toBe('invalid');
    expect(rejection(tokens, handMade({ alg: 'HS256' }, claims({ aud: 'other-api' }), SECRET))).toBe('invalid');
  });

  it('rejects a validly signed token without our claims', () => {
    expect(rejection(tokens, handMade({ alg: 'HS256' }, claims({ roles: ['root'] }), SECRET))).toBe('invalid');
    expect(rejection(tokens, handMade({ alg: 'HS256' }, claims({ kind: undefined }), SECRET))).toBe('invalid');
    expect(rejection(tokens, handMade({ alg: 'HS256' }, claims({ jti: undefined }), SECRET))).toBe('invalid');
  });

  it('rejects garbage', () => {
    expect(rejection(tokens, 'not.a.jwt')).toBe('invalid');
    expect(rejection(tokens, '')).toBe('invalid');
  });
});

describe('AccessTokens (RS256 with a configured key pair)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-jwt-'));
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  writeFileSync(join(dir, 'private.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'public.pem'), publicPem);
  const tokens = new AccessTokens(jwtConfig({ privateKeyFile: join(dir, 'private.pem'), publicKeyFile: join(dir, 'public.pem') }));

  it('signs with RS256 and verifies with the public key', () => {
    const issued = tokens.issue({ id: 'key-1', roles: ['consumer'], kind: 'api-key' });
    expect(JSON.parse(Buffer.from(issued.token.split('.')[0], 'base64url').toString()).alg).toBe('RS256');
    expect(tokens.verify(issued.token).kind).toBe('api-key');
  });

  it('rejects an HS256 token signed with the public key (algorithm confusion)', () => {
    expect(rejection(tokens, handMade({ alg: 'HS256' }, claims(), publicPem))).toBe('invalid');
  });

  it('rejects a token signed by another RSA key', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const forged = new JwtService({ privateKey: other.export({ type: 'pkcs8', format: 'pem' }) as string }).sign(claims(), {
      algorithm: 'RS256',
    });
    expect(rejection(tokens, forged)).toBe('invalid');
  });

  it('does not accept HS256 tokens made with the (unused) JWT_SECRET either', () => {
    expect(rejection(tokens, handMade({ alg: 'HS256' }, claims(), SECRET))).toBe('invalid');
  });
});
