import { createHmac } from 'node:crypto';
import { newWebhookSecret, signPayload } from './signature';
import { serialisePayload } from './webhook-events';

describe('webhook signatures', () => {
  it('signs the raw body: sha256=<hex HMAC-SHA256 with the secret>', () => {
    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    expect(signPayload('what do ya want for nothing?', 'Jefe')).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('changes with any byte of the body or the secret', () => {
    const body = serialisePayload({ id: 'd1', event: 'ping', occurredAt: '2026-01-01T00:00:00.000Z', data: {} });
    const secret = newWebhookSecret();
    expect(signPayload(body, secret)).toBe(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
    expect(signPayload(body + ' ', secret)).not.toBe(signPayload(body, secret));
    expect(signPayload(body, newWebhookSecret())).not.toBe(signPayload(body, secret));
  });

  it('makes 256-bit base64url secrets, different each time', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(a);
  });

  it('serialises the body in a fixed key order', () => {
    expect(serialisePayload({ data: { a: 1 }, occurredAt: 't', event: 'e', id: 'i' } as never)).toBe(
      '{"id":"i","event":"e","occurredAt":"t","data":{"a":1}}',
    );
  });
});
