import { Injectable } from '@nestjs/common';
import { KeyObject, randomUUID } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { InjectConfig, Role, ROLES } from '@app/common';
import { authConfig, type AuthConfig } from '../auth.config';
import { JwtKeys, jwtKeys } from './jwt-keys';

/** The claims ModelGate puts in an access token (besides iss, aud, iat, exp). */
export interface AccessTokenClaims {
  sub: string;
  roles: Role[];
  /** Whose token: a user's (login) or a service account's (client credentials). */
  kind: 'user' | 'api-key';
  jti: string;
  /** Users only: the account's credential version at issue (tokens from before versions existed have none: 1). */
  cv?: number;
}

export interface IssuedAccessToken {
  token: string;
  expiresIn: number;
  jti: string;
}

export class AccessTokenRejected extends Error {
  constructor(readonly reason: 'expired' | 'invalid') {
    super(`access token ${reason}`);
  }
}

/**
 * Short-lived JWTs. The verification options are the single source for both this class and the
 * passport-jwt strategy: one algorithm only (so `alg: none` and HS/RS confusion are rejected),
 * exact issuer and audience, exp and nbf enforced without leeway.
 */
@Injectable()
export class AccessTokens {
  private readonly keys: JwtKeys;
  private readonly jwt: JwtService;

  constructor(@InjectConfig(authConfig) config: Pick<AuthConfig, 'jwt'>) {
    this.keys = jwtKeys(config);
    const k = this.keys;
    this.jwt = new JwtService({
      ...(k.algorithm === 'RS256' ? { privateKey: k.signingKey, publicKey: k.verificationKey } : { secret: k.signingKey }),
      signOptions: { algorithm: k.algorithm, issuer: k.issuer, audience: k.audience, expiresIn: k.accessTtlSeconds },
      verifyOptions: this.verificationOptions,
    });
  }

  /** The key that verifies signatures (the secret for HS256, the public key for RS256). */
  get verificationKey(): KeyObject {
    return this.keys.verificationKey;
  }

  get verificationOptions() {
    return {
      algorithms: [this.keys.algorithm],
      issuer: this.keys.issuer,
      audience: this.keys.audience,
      clockTolerance: 0,
    };
  }

  issue(subject: { id: string; roles: readonly Role[]; kind: 'user' | 'api-key'; credentialVersion?: number }): IssuedAccessToken {
    const jti = randomUUID();
    const cv = subject.credentialVersion === undefined ? {} : { cv: subject.credentialVersion };
    const claims = { roles: [...subject.roles], kind: subject.kind, ...cv };
    const token = this.jwt.sign(claims, { subject: subject.id, jwtid: jti });
    return { token, expiresIn: this.keys.accessTtlSeconds, jti };
  }

  /** Verifies signature and registered claims, then the shape of ours. */
  verify(token: string): AccessTokenClaims {
    let payload: unknown;
    try {
      payload = this.jwt.verify(token);
    } catch (error) {
      throw new AccessTokenRejected((error as Error).name === 'TokenExpiredError' ? 'expired' : 'invalid');
    }
    const claims = parseClaims(payload);
    if (!claims) throw new AccessTokenRejected('invalid');
    return claims;
  }
}

/** Our claims, or null when a validly signed token does not carry them (never trust a shape). */
export function parseClaims(payload: unknown): AccessTokenClaims | null {
  if (!payload || typeof payload !== 'object') return null;
  const p = payload as Record<string, unknown>;
  const roles = p.roles;
  if (
    typeof p.sub !== 'string' ||
    typeof p.jti !== 'string' ||
    (p.kind !== 'user' && p.kind !== 'api-key') ||
    !Array.isArray(roles) ||
    !roles.every((r) => (ROLES as readonly unknown[]).includes(r)) ||
    (p.cv !== undefined && !(Number.isSafeInteger(p.cv) && (p.cv as number) >= 1))
  ) {
    return null;
  }
  return { sub: p.sub, jti: p.jti, kind: p.kind, roles: roles as Role[], ...(p.cv === undefined ? {} : { cv: p.cv as number }) };
}
