import { createHmac, randomBytes } from 'node:crypto';

/** A new webhook secret: 32 random bytes, base64url (43 characters). */
export function newWebhookSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** The X-ModelGate-Signature value for a raw body: `sha256=<hex HMAC-SHA256 with the secret>`. */
export function signPayload(rawBody: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}
