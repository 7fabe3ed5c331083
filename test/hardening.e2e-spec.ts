import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startTestApp, TestApp } from './support/test-app';

describe('hardening (e2e)', () => {
  describe('plain HTTP', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ CORS_ORIGINS: 'https://console.example.com' });
    });
    afterAll(() => t?.close());

    it('sends security headers, no X-Powered-By, and no HSTS without TLS', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/health/live' });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBeDefined();
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['strict-transport-security']).toBeUndefined();
    });

    it("answers JSON with OWASP's API header set, and the Swagger UI with helmet's full set", async () => {
      const api = await t.app.inject({ method: 'GET', url: '/health/live' });
      expect(api.headers).toMatchObject({
        'content-security-policy': "default-src 'none';frame-ancestors 'none'",
        'x-frame-options': 'DENY',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cross-origin-resource-policy': 'same-site',
      });
      expect(api.headers['x-dns-prefetch-control']).toBeUndefined();
      const docs = await t.app.inject({ method: 'GET', url: '/docs' });
      expect(docs.headers['content-security-policy']).toContain("script-src 'self'");
      expect(docs.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(docs.headers['x-dns-prefetch-control']).toBe('off');
      expect(docs.headers['x-content-type-options']).toBe('nosniff');
    });

    it('allows CORS only for configured origins', async () => {
      const allowed = await t.app.inject({
        method: 'OPTIONS',
        url: '/health/live',
        headers: { origin: 'https://console.example.com', 'access-control-request-method': 'GET' },
      });
      expect(allowed.headers['access-control-allow-origin']).toBe('https://console.example.com');
      const denied = await t.app.inject({
        method: 'GET',
        url: '/health/live',
        headers: { origin: 'https://evil.example.com' },
      });
      expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('HTTPS', () => {
    let t: TestApp;
    let cert: string;
    beforeAll(async () => {
      const dir = join(__dirname, '..', 'node_modules', '.cache', 'modelgate-tls');
      execFileSync('mkdir', ['-p', dir]);
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-subj',
          '/CN=localhost',
          '-days',
          '1',
          '-addext',
          'subjectAltName=DNS:localhost,IP:127.0.0.1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
      t = await startTestApp({ TLS_CERT_FILE: join(dir, 'cert.pem'), TLS_KEY_FILE: join(dir, 'key.pem') });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
    });
    afterAll(() => t?.close());

    it('serves HTTPS with HSTS', async () => {
      const { port } = t.app.getHttpServer().address() as AddressInfo;
      const res = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/health/live', ca: cert, servername: 'localhost' }, (r) => {
          let body = '';
          r.on('data', (c) => (body += c));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    });

    // This app sets no CORS_ORIGINS (the default): CORS is not installed, and no origin is allowed.
    it('allows no origin when CORS_ORIGINS is empty: no CORS headers, and a preflight is a 404 problem', async () => {
      const origin = 'https://console.example.com';
      const preflight = await t.app.inject({
        method: 'OPTIONS',
        url: '/health/live',
        headers: { origin, 'access-control-request-method': 'GET' },
      });
      expect(preflight.statusCode).toBe(404);
      expect(preflight.headers['content-type']).toContain('application/problem+json');
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      expect(preflight.headers['access-control-allow-methods']).toBeUndefined();
      const get = await t.app.inject({ method: 'GET', url: '/health/live', headers: { origin } });
      expect(get.statusCode).toBe(200);
      expect(get.headers['access-control-allow-origin']).toBeUndefined();
      expect(get.headers.vary ?? '').not.toMatch(/origin/i);
    });
  });
});
