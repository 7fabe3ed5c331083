import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { DataSource } from 'typeorm';
import { EventOutbox } from '@app/audit';
import { ContextActivity, createRootLogger } from '@app/common';
import { SpanKind, TracingService } from '@app/observability';
import { UsageRecorder } from '@app/predictions';
import { apiKeyFor, authHeader, bootstrapAdmin, tokenFor } from './support/auth';
import { multipart } from './support/multipart';
import { createModel, fixtureFiles, versionIn } from './support/registry';
import { startTestApp, TestApp } from './support/test-app';
import { BLOBS_FEATURES, blobsSplit, uploadDataset, waitForJob } from './support/training';

/**
 * W3C trace context end to end, with the OpenTelemetry SDK exporting to memory: a caller's trace
 * goes through a prediction (response, SERVER span, log line, usage row), a registry change (its
 * outbox event and the webhook delivery's `traceparent` and CLIENT span), a training job (its row,
 * its run's log lines, span and events); a bad `traceparent` starts a new trace. Then the same SDK
 * over OTLP/HTTP to a local receiver. The captured logger is the production one (createRootLogger).
 * Its own file: Nest's static Logger follows the last app that called useLogger().
 */

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;
const ORIGIN = 'https://console.example.com';
const row = [5.1, 3.5, 1.4, 0.2];

/** A trace of a caller's: `00-<trace>-<span>-01`, fresh per test. */
function callerTrace(): { traceId: string; spanId: string; header: string } {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  const traceId = `${hex(31)}1`;
  const spanId = `${hex(15)}1`;
  return { traceId, spanId, header: `00-${traceId}-${spanId}-01` };
}

function parseTraceHeader(value: unknown): { traceId: string; spanId: string; flags: string } {
  const m = TRACEPARENT.exec(String(value));
  if (!m) throw new Error(`not a version-00 trace context header: ${String(value)}`);
  return { traceId: m[1], spanId: m[2], flags: m[3] };
}

/** An HTTP server on loopback that records every request (a webhook receiver, an OTLP collector). */
class Recorder {
  readonly received: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  private readonly server: Server;

  constructor(status = 204) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(status, { 'content-type': 'application/json' }).end(status === 204 ? undefined : '{}');
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('tracing: W3C trace context through requests, usage, webhooks and training; OpenTelemetry export (e2e)', () => {
  const exporter = new InMemorySpanExporter();
  const lines: Record<string, unknown>[] = [];
  const receiver = new Recorder();
  let t: TestApp;
  let engineer: string;
  let admin: string;
  let consumerKey: string;
  let receiverUrl: string;

  const inject = (opts: Parameters<TestApp['app']['inject']>[0]) => t.app.inject(opts);
  const query = <R>(sql: string, params: unknown[] = []) => t.app.get(DataSource).query(sql, params) as Promise<R[]>;
  const spans = async (): Promise<ReadableSpan[]> => {
    await t.app.get(TracingService).flush();
    return exporter.getFinishedSpans();
  };
  const predict = (headers: Record<string, string>) =>
    inject({
      method: 'POST',
      url: '/v1/models/iris/predict',
      headers: { 'x-api-key': consumerKey, ...headers },
      payload: { instances: [row] },
    });

  /**
   * Creates a user, then (after `meanwhile`) posts it again under a new caller trace: the duplicate
   * fails inside the database, whose layer logs `query failed` deep inside the request. That line
   * (found by the caller's trace) and the 409 answer.
   */
  async function duplicateUser(email: string, meanwhile?: () => Promise<unknown>) {
    const user = { email, password: 'a-long-enough-password', roles: ['consumer'] };
    expect((await inject({ method: 'POST', url: '/v1/users', headers: authHeader(admin), payload: user })).statusCode).toBe(201);
    await meanwhile?.();
    const caller = callerTrace();
    const answer = await inject({
      method: 'POST',
      url: '/v1/users',
      headers: { ...authHeader(admin), traceparent: caller.header },
      payload: user,
    });
    expect(answer.statusCode).toBe(409);
    return { answer, line: lines.find((l) => String(l.msg).startsWith('query failed') && l.traceId === caller.traceId) };
  }

  beforeAll(async () => {
    receiverUrl = await receiver.start();
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    t = await startTestApp(
      {
        CORS_ORIGINS: ORIGIN,
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        WEBHOOK_POLL_INTERVAL_MS: '50',
        WEBHOOK_TIMEOUT_MS: '2000',
        TRAINING_CONCURRENCY: '1',
      },
      { logger: createRootLogger({ level: 'info', pretty: false }, sink), traceExporter: exporter },
    );
    admin = (await bootstrapAdmin(t)).accessToken;
    engineer = await tokenFor(t, 'ml-engineer');
    consumerKey = await apiKeyFor(t, 'consumer');
    await createModel(t, engineer, 'iris', { task: 'classification' });
    await versionIn(t, engineer, 'iris', 'production');
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await receiver.close();
  });

  it('tracing is on (an exporter was given), with the API as the service', () => {
    expect(t.app.get(TracingService).enabled).toBe(true);
  });

  describe('a prediction in a caller’s trace', () => {
    const caller = callerTrace();
    let ours: { traceId: string; spanId: string; flags: string };
    let requestId: string;

    beforeAll(async () => {
      const res = await predict({ traceparent: caller.header, origin: ORIGIN });
      expect(res.statusCode).toBe(200);
      ours = parseTraceHeader(res.headers.traceresponse);
      requestId = String(res.headers['x-request-id']);
      // Browsers may read it.
      expect(
        String(res.headers['access-control-expose-headers'])
          .toLowerCase()
          .split(/\s*,\s*/),
      ).toContain('traceresponse');
    });

    it("answers with traceresponse: the caller's trace, a span of ours, sampled", () => {
      expect(ours.traceId).toBe(caller.traceId);
      expect(ours.spanId).toMatch(HEX16);
      expect(ours.spanId).not.toBe(caller.spanId);
      expect(ours.flags).toBe('01');
    });

    it("exports a SERVER span with those ids under the caller's span, named by the route", async () => {
      const span = (await spans()).find((s) => s.spanContext().spanId === ours.spanId);
      expect(span).toBeDefined();
      expect(span!.spanContext().traceId).toBe(caller.traceId);
      expect(span!.parentSpanContext).toMatchObject({ traceId: caller.traceId, spanId: caller.spanId, isRemote: true });
      expect(span!.kind).toBe(SpanKind.SERVER);
      expect(span!.name).toBe('POST /v1/models/:name/predict');
      expect(span!.attributes).toMatchObject({
        'http.request.method': 'POST',
        'http.route': '/v1/models/:name/predict',
        'url.path': '/v1/models/iris/predict',
        'http.response.status_code': 200,
        'modelgate.request_id': requestId,
      });
      expect(span!.status.code).toBe(0);
      expect(span!.resource.attributes['service.name']).toBe('modelgate-api');
      expect(span!.ended).toBe(true);
    });

    it('writes the request log line with the trace and span ids (the lean inference route)', () => {
      const line = lines.find((l) => l.msg === 'request completed' && l.requestId === requestId);
      expect(line).toMatchObject({ traceId: caller.traceId, spanId: ours.spanId, route: '/v1/models/:name/predict', status: 200 });
    });

    it("keeps the trace id on the usage ledger row (a traced request's own row); untraced requests fold, without one", async () => {
      for (let i = 0; i < 3; i++) expect((await predict({})).statusCode).toBe(200);
      await t.app.get(UsageRecorder).flush();
      const traced = await query<{ trace_id: string; requests: number }>(
        `SELECT trace_id, requests FROM usage_events WHERE trace_id = $1`,
        [caller.traceId],
      );
      expect(traced.map((r) => Number(r.requests))).toEqual([1]);
      const untraced = await query<{ requests: number }>(`SELECT sum(requests)::int AS requests FROM usage_events WHERE trace_id IS NULL`);
      expect(Number(untraced[0].requests)).toBeGreaterThanOrEqual(3);
      // Not a public field: the usage report is unchanged.
      const report = await inject({ method: 'GET', url: '/v1/usage', headers: authHeader(admin) });
      expect(report.statusCode).toBe(200);
      expect(report.body).not.toContain(caller.traceId);
    });
  });

  it('names the trace on every line a request on Nest’s router writes, and answers traceresponse there too', async () => {
    const caller = callerTrace();
    const res = await inject({ method: 'GET', url: '/v1/models/iris', headers: { ...authHeader(engineer), traceparent: caller.header } });
    expect(res.statusCode).toBe(200);
    const ours = parseTraceHeader(res.headers.traceresponse);
    expect(ours.traceId).toBe(caller.traceId);
    const line = lines.find((l) => l.msg === 'request completed' && l.requestId === res.headers['x-request-id']);
    expect(line).toMatchObject({ traceId: caller.traceId, spanId: ours.spanId, route: '/v1/models/:name' });
    const span = (await spans()).find((s) => s.spanContext().spanId === ours.spanId);
    expect(span).toMatchObject({ name: 'GET /v1/models/:name', kind: SpanKind.SERVER });

    // A line written deep inside the request (the database layer's, on a duplicate email) names it too.
    const { answer, line: failed } = await duplicateUser('traced-twice@example.com');
    expect(failed).toMatchObject({ spanId: parseTraceHeader(answer.headers.traceresponse).spanId, level: 'warn' });
  });

  it('keeps the request context on only while such a request is in flight, and sets it up again for the next', async () => {
    // Closed responses end their activity; the lean predict route never begins one.
    await eventually('no request context in flight', () => ContextActivity.inFlight === 0 || undefined);
    const res = await predict({});
    expect(res.statusCode).toBe(200);
    expect(ContextActivity.inFlight).toBe(0);
    // With the stores off, a request on Nest's router still names its trace deep inside (the database layer's line).
    const { line } = await duplicateUser('traced-after-idle@example.com', () =>
      eventually('no request context in flight', () => ContextActivity.inFlight === 0 || undefined),
    );
    expect(line).toBeDefined();
    await eventually('no request context in flight', () => ContextActivity.inFlight === 0 || undefined);
  });

  it('starts a new trace for an invalid traceparent (the request still succeeds), and for none', async () => {
    for (const traceparent of [
      '00-not-a-trace-01',
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `ff-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
    ]) {
      const res = await predict({ traceparent });
      expect(res.statusCode).toBe(200);
      const ours = parseTraceHeader(res.headers.traceresponse);
      expect(ours.traceId).toMatch(HEX32);
      expect(ours.traceId).not.toBe('a'.repeat(32));
      const span = (await spans()).find((s) => s.spanContext().spanId === ours.spanId);
      expect(span?.spanContext().traceId).toBe(ours.traceId);
      expect(span?.parentSpanContext).toBeUndefined();
    }
    const a = parseTraceHeader((await predict({})).headers.traceresponse);
    const b = parseTraceHeader((await predict({})).headers.traceresponse);
    expect(a.traceId).not.toBe(b.traceId);
  });

  it('follows a caller that does not sample: same trace, flags 00, no span recorded', async () => {
    const caller = callerTrace();
    const res = await predict({ traceparent: `00-${caller.traceId}-${caller.spanId}-00` });
    expect(res.statusCode).toBe(200);
    const ours = parseTraceHeader(res.headers.traceresponse);
    expect([ours.traceId, ours.flags]).toEqual([caller.traceId, '00']);
    expect((await spans()).filter((s) => s.spanContext().traceId === caller.traceId)).toEqual([]);
  });

  it('marks a SERVER span of a failed request: 4xx is the caller’s, not an error; the trace is answered anyway', async () => {
    const caller = callerTrace();
    const res = await inject({
      method: 'POST',
      url: '/v1/models/nope/predict',
      headers: { 'x-api-key': consumerKey, traceparent: caller.header },
      payload: { instances: [row] },
    });
    expect(res.statusCode).toBe(404);
    expect(parseTraceHeader(res.headers.traceresponse).traceId).toBe(caller.traceId);
    const span = (await spans()).find((s) => s.spanContext().traceId === caller.traceId);
    expect(span?.attributes['http.response.status_code']).toBe(404);
    expect(span?.status.code).toBe(0);
  });

  describe('webhooks', () => {
    let webhookId: string;

    beforeAll(async () => {
      const res = await inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: authHeader(admin),
        payload: { url: `${receiverUrl}/hook`, events: ['model.version.created', 'training.job.finished'] },
      });
      expect(res.statusCode).toBe(201);
      webhookId = res.json().id;
    });

    /** The delivery of the event of `type` whose data matches. */
    const deliveryOf = (type: string, match: (data: Record<string, unknown>) => boolean) =>
      eventually(`a ${type} delivery`, () =>
        receiver.received.find((r) => {
          if (r.headers['x-modelgate-event'] !== type) return false;
          return match((JSON.parse(r.body) as { data: Record<string, unknown> }).data);
        }),
      );

    it('sends traceparent with the trace of the request that registered the version, and a CLIENT span', async () => {
      const caller = callerTrace();
      const body = await multipart(fixtureFiles('classifier'), {});
      const res = await inject({
        method: 'POST',
        url: '/v1/models/iris/versions',
        headers: { ...authHeader(engineer), ...body.headers, traceparent: caller.header },
        payload: body.payload,
      });
      expect(res.statusCode).toBe(201);
      const version = res.json().version as number;
      const server = parseTraceHeader(res.headers.traceresponse);

      const [event] = await query<{ trace_id: string }>(
        `SELECT trace_id FROM outbox_events WHERE type = 'model.version.created' AND (data->>'version')::int = $1`,
        [version],
      );
      expect(event.trace_id).toBe(caller.traceId);

      const delivery = await deliveryOf('model.version.created', (d) => d.version === version);
      const sent = parseTraceHeader(delivery.headers.traceparent);
      expect(sent.traceId).toBe(caller.traceId);
      expect(sent.flags).toBe('01');
      expect([caller.spanId, server.spanId]).not.toContain(sent.spanId);
      const client = await eventually('the CLIENT span', async () => (await spans()).find((s) => s.spanContext().spanId === sent.spanId));
      expect(client.kind).toBe(SpanKind.CLIENT);
      expect(client.spanContext().traceId).toBe(caller.traceId);
      expect(client.attributes).toMatchObject({
        'http.request.method': 'POST',
        'url.full': `${receiverUrl}/hook`,
        'http.response.status_code': 204,
        'modelgate.webhook.event': 'model.version.created',
      });
      const [row] = await query<{ trace_id: string }>(
        `SELECT trace_id FROM webhook_deliveries WHERE webhook_id = $1 AND payload->'data'->>'version' = $2`,
        [webhookId, String(version)],
      );
      expect(row.trace_id).toBe(caller.traceId);
    });

    it('sends a fresh trace for an event no request caused', async () => {
      await t.app.get(EventOutbox).add('model.version.created', { model: 'iris', version: 9999, scheduled: true });
      const delivery = await deliveryOf('model.version.created', (d) => d.version === 9999);
      const sent = parseTraceHeader(delivery.headers.traceparent);
      expect(sent.traceId).toMatch(HEX32);
      const [event] = await query<{ trace_id: string | null }>(`SELECT trace_id FROM outbox_events WHERE (data->>'version')::int = 9999`);
      expect(event.trace_id).toBeNull();
    });

    it('a training job keeps its creating request’s trace: the row, the run’s log lines and span, its events and deliveries', async () => {
      const dataset = await uploadDataset(t, engineer, blobsSplit(60).training);
      expect(dataset.statusCode).toBe(201);
      const caller = callerTrace();
      const res = await inject({
        method: 'POST',
        url: '/v1/training-jobs',
        headers: { ...authHeader(engineer), traceparent: caller.header },
        payload: {
          modelName: 'traced-blobs',
          datasetId: dataset.json().id,
          task: 'classification',
          features: BLOBS_FEATURES,
          target: 'species',
          architecture: { hiddenLayers: [8], activation: 'relu' },
          hyperparameters: { epochs: 3, batchSize: 32, learningRate: 0.05, validationSplit: 0.2, seed: 7 },
        },
      });
      expect(res.statusCode).toBe(202);
      const jobId = res.json().id as string;
      const [job] = await query<{ trace_id: string }>(`SELECT trace_id FROM training_jobs WHERE id = $1`, [jobId]);
      expect(job.trace_id).toBe(caller.traceId);

      expect((await waitForJob(t, engineer, jobId)).status).toBe('succeeded');
      // The runner's lines for the job (written off any request) name its trace.
      const started = lines.find((l) => l.msg === 'training started' && l.jobId === jobId);
      const succeeded = lines.find((l) => l.msg === 'training job succeeded' && l.jobId === jobId);
      expect(started?.traceId).toBe(caller.traceId);
      expect(succeeded?.traceId).toBe(caller.traceId);
      expect(started?.spanId).toMatch(HEX16);

      const run = await eventually('the training run span', async () =>
        (await spans()).find((s) => s.name === 'training job' && s.attributes['modelgate.training.job_id'] === jobId),
      );
      expect(run.spanContext()).toMatchObject({ traceId: caller.traceId, spanId: started!.spanId });
      expect(run.attributes['modelgate.training.status']).toBe('succeeded');

      const events = await query<{ type: string; trace_id: string }>(
        `SELECT type, trace_id FROM outbox_events WHERE (type = 'training.job.finished' AND data->>'id' = $1) OR (type = 'model.version.created' AND data->>'model' = 'traced-blobs') ORDER BY seq`,
        [jobId],
      );
      expect(events).toEqual([
        { type: 'model.version.created', trace_id: caller.traceId },
        { type: 'training.job.finished', trace_id: caller.traceId },
      ]);
      const finished = await deliveryOf('training.job.finished', (d) => d.id === jobId);
      expect(parseTraceHeader(finished.headers.traceparent).traceId).toBe(caller.traceId);
    }, 120_000);
  });
});

describe('tracing: OTLP/HTTP export to OTEL_EXPORTER_OTLP_ENDPOINT (e2e)', () => {
  const collector = new Recorder(200);
  let t: TestApp;

  beforeAll(async () => {
    const endpoint = await collector.start();
    t = await startTestApp({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'modelgate-tracing-e2e' });
  });
  afterAll(async () => {
    await t?.close();
    await collector.close();
  });

  it('sends the spans, batched, to <endpoint>/v1/traces; the rest are flushed at shutdown', async () => {
    const caller = callerTrace();
    const res = await t.app.inject({ method: 'GET', url: '/health/live', headers: { traceparent: caller.header } });
    expect(res.statusCode).toBe(200);
    const ours = parseTraceHeader(res.headers.traceresponse);
    await t.app.get(TracingService).flush();
    const request = await eventually('an OTLP export', () => collector.received.find((r) => r.body.includes(caller.traceId)));
    expect(request.path).toBe('/v1/traces');
    expect(request.headers['content-type']).toContain('application/json');
    const body = JSON.parse(request.body) as {
      resourceSpans: {
        resource: { attributes: { key: string; value: { stringValue?: string } }[] };
        scopeSpans: { spans: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number }[] }[];
      }[];
    };
    const [resource] = body.resourceSpans;
    expect(resource.resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'modelgate-tracing-e2e' } });
    const exported = resource.scopeSpans.flatMap((s) => s.spans).find((s) => s.spanId === ours.spanId);
    expect(exported).toMatchObject({ traceId: caller.traceId, parentSpanId: caller.spanId, name: 'GET /health/live', kind: 2 });

    // A span still in the batch when the app stops is exported on the way out.
    const last = callerTrace();
    expect((await t.app.inject({ method: 'GET', url: '/health/live', headers: { traceparent: last.header } })).statusCode).toBe(200);
    await t.close();
    t = undefined as unknown as TestApp;
    expect(collector.received.some((r) => r.body.includes(last.traceId))).toBe(true);
  });
});
