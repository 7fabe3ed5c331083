import { createPrivateKey, createPublicKey, createSecretKey, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Algorithm } from 'jsonwebtoken';
import type { AuthConfig } from '../auth.config';

/**
 * What signs access tokens and what verifies them: one HMAC secret, or an RSA key pair. Parsed
 * once into KeyObjects: given a string, jsonwebtoken re-creates the key on every call, which made
 * each verification ~50x slower (hundreds of µs instead of ~10).
 */
export interface JwtKeys {
  readonly algorithm: Extract<Algorithm, 'HS256' | 'RS256'>;
  readonly signingKey: KeyObject;
  readonly verificationKey: KeyObject;
  readonly issuer: string;
  readonly audience: string;
  readonly accessTtlSeconds: number;
}

export function jwtKeys(config: Pick<AuthConfig, 'jwt'>): JwtKeys {
  const { jwt } = config;
  const common = { issuer: jwt.issuer, audience: jwt.audience, accessTtlSeconds: jwt.accessTtlSeconds };
  if (jwt.privateKeyFile && jwt.publicKeyFile) {
    return {
      ...common,
      algorithm: 'RS256',
      signingKey: createPrivateKey(readFileSync(jwt.privateKeyFile)),
      verificationKey: createPublicKey(readFileSync(jwt.publicKeyFile)),
    };
  }
  const secret = createSecretKey(Buffer.from(jwt.secret, 'utf8'));
  return { ...common, algorithm: 'HS256', signingKey: secret, verificationKey: secret };
}
