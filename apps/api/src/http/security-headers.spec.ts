import helmet from 'helmet';
import { documentHeaderOptions, securityHeaders } from './security-headers';

describe('securityHeaders', () => {
  it("equals what helmet's middleware sets on a response, for the same options", () => {
    const options = { contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], frameAncestors: ["'none'"] } }, hsts: { maxAge: 60 } };
    const set: Record<string, string> = {};
    helmet(options)(
      {} as never,
      { setHeader: (k: string, v: string) => (set[k] = String(v)), removeHeader: (k: string) => delete set[k] } as never,
      () => undefined,
    );
    const headers = securityHeaders(options);
    expect(headers).toEqual(set);
    expect(headers['Content-Security-Policy']).toContain("frame-ancestors 'none'");
    expect(headers['Strict-Transport-Security']).toMatch(/^max-age=60/);
    expect(headers['X-Content-Type-Options']).toBe('nosniff');
  });

  it('refuses options whose headers would differ per request (CSP nonces)', () => {
    const perRequest = { contentSecurityPolicy: { directives: { scriptSrc: [() => `'nonce-${Math.random()}'`] } } };
    expect(() => securityHeaders(perRequest)).toThrow(/per request/);
  });

  describe("Swagger UI's set (documentHeaderOptions)", () => {
    const csp = (tls: boolean) =>
      securityHeaders(documentHeaderOptions({ tls, hsts: tls ? { maxAge: 60 } : false }))['Content-Security-Policy'].split(';');

    it('has no upgrade-insecure-requests over plain HTTP (the page would fetch its scripts over https)', () => {
      expect(csp(false)).not.toContain('upgrade-insecure-requests');
      expect(csp(false)).toEqual(expect.arrayContaining(["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"]));
    });

    it('keeps upgrade-insecure-requests, and HSTS, when the server speaks TLS', () => {
      expect(csp(true)).toContain('upgrade-insecure-requests');
      expect(securityHeaders(documentHeaderOptions({ tls: true, hsts: { maxAge: 60 } }))['Strict-Transport-Security']).toMatch(
        /^max-age=60/,
      );
      expect(securityHeaders(documentHeaderOptions({ tls: false, hsts: false }))['Strict-Transport-Security']).toBeUndefined();
    });
  });
});
