import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Opaque credentials: a recognisable prefix (so leaked ones are easy to grep for and to tell
 * apart) and 256 random bits. Stored only as SHA-256: with that much entropy a slow KDF adds
 * nothing, and lookups by hash stay one indexed read.
 */
export const SECRET_PREFIX = {
  apiKey: 'mgk_',
  clientId: 'mgc_',
  clientSecret: 'mgs_',
  refreshToken: 'mgr_',
} as const;

export function newSecret(prefix: string, bytes = 32): string {
  return prefix + randomBytes(bytes).toString('base64url');
}

/** One-shot `crypto.hash` (Node ≥ 20.12): a quarter of createHash's cost, and an API key is hashed on every request. */
export function sha256(value: string): string {
  return hash('sha256', value, 'hex');
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** Cheap shape check before any lookup: prefix plus base64url body of plausible length. */
export function looksLike(prefix: string, value: string): boolean {
  return value.startsWith(prefix) && /^[A-Za-z0-9_-]{16,128}$/.test(value.slice(prefix.length));
}
