import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { loadConfigSlice } from '@app/common';
import { SpanKind, tracingConfig, TracingService } from '@app/observability';
import { signPayload } from '../domain/signature';
import { serialisePayload, type WebhookPayload } from '../domain/webhook-events';
import { webhooksConfig } from '../webhooks.config';
import { WebhookSender } from './webhook-sender';

/** One attempt against a real loopback receiver: headers, signature, deadline, redirects, allow-list. */
describe('WebhookSender', () => {
  let server: Server;
  let base: string;
  const received: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const payload: WebhookPayload = {
    id: '0b9a7a8e-4d0f-4c52-9a43-0d2b8b1f0c11',
    event: 'ping',
    occurredAt: '2026-11-30T00:00:00.000Z',
    data: { a: 1 },
  };
  // A generous deadline unless a test is about the deadline: a loaded CI machine can take over 200 ms to answer.
  const sender = (env: Record<string, string> = {}) =>
    new WebhookSender(loadConfigSlice(webhooksConfig, { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_TIMEOUT_MS: '10000', ...env }));

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString() });
        if (req.url === '/slow') return void setTimeout(() => res.writeHead(200).end(), 2_000).unref();
        if (req.url === '/moved') return void res.writeHead(301, { location: '/ok' }).end();
        res.writeHead(202).end('accepted');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => (received.length = 0));

  it('POSTs the body with the event, delivery id and signature headers', async () => {
    expect(await sender().send(`${base}/ok`, 'the-secret', payload)).toEqual({ ok: true, status: 202 });
    expect(received).toHaveLength(1);
    const [got] = received;
    expect(got.body).toBe(serialisePayload(payload));
    expect(got.headers).toMatchObject({
      'content-type': 'application/json',
      'x-modelgate-event': 'ping',
      'x-modelgate-delivery': payload.id,
      'x-modelgate-signature': signPayload(got.body, 'the-secret'),
    });
  });

  it("sends traceparent: the given trace and span (the receiver's parent), else a new trace; with tracing on, a CLIENT span of that span", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = new TracingService(loadConfigSlice(tracingConfig, {}), { serviceName: 'modelgate-api', exporter });
    const traced = new WebhookSender(loadConfigSlice(webhooksConfig, { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' }), tracing);
    const ids = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
    expect(await traced.send(`${base}/ok?token=secret`, 's', payload, ids)).toEqual({ ok: true, status: 202 });
    await sender().send(`${base}/ok`, 's', payload);
    expect(received.map((r) => r.headers.traceparent)).toEqual([
      `00-${ids.traceId}-${ids.spanId}-01`,
      expect.stringMatching(/^00-(?!4bf92f3577b34da6a3ce929d0e0e4736)[0-9a-f]{32}-[0-9a-f]{16}-01$/),
    ]);
    await tracing.flush();
    const [span] = exporter.getFinishedSpans();
    expect(span.spanContext()).toMatchObject(ids);
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toMatchObject({
      'url.full': `${base}/ok`,
      'http.response.status_code': 202,
      'modelgate.webhook.event': 'ping',
    });
    await tracing.onApplicationShutdown();
  });

  it('fails an attempt the receiver does not answer in time', async () => {
    expect(await sender({ WEBHOOK_TIMEOUT_MS: '200' }).send(`${base}/slow`, 's', payload)).toEqual({
      ok: false,
      status: null,
      error: 'no answer within 200 ms',
    });
  });

  it('does not follow a redirect', async () => {
    expect(await sender().send(`${base}/moved`, 's', payload)).toEqual({
      ok: false,
      status: 301,
      error: 'HTTP 301 (redirect not followed)',
    });
    expect(received.map((r) => r.path)).toEqual(['/moved']);
  });

  it('reports an unreachable receiver without throwing', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await sender().send(`http://127.0.0.1:${port}/`, 's', payload)).toEqual({
      ok: false,
      status: null,
      error: 'network error: ECONNREFUSED',
    });
  });

  it('re-checks the allow-list before sending: a host removed from it gets nothing', async () => {
    const outcome = await sender({ WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com' }).send(`${base}/ok`, 's', payload);
    expect(outcome).toEqual({ ok: false, status: null, error: 'destination not allowed (host)' });
    expect(received).toEqual([]);
  });
});
