import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { loadConfigSlice } from '@app/common';
import { newSpanId, newTraceId } from './trace-context';
import { otlpTracesUrl, tracingConfig } from './tracing.config';
import { SpanKind, TracingService } from './tracing.service';

describe('TracingService', () => {
  const off = loadConfigSlice(tracingConfig, {});

  it('is off without an endpoint or an exporter: no span, nothing started', async () => {
    const tracing = new TracingService(off, { serviceName: 'modelgate-api' });
    expect(tracing.enabled).toBe(false);
    expect(tracing.startSpan('x', { kind: SpanKind.SERVER, ids: { traceId: newTraceId(), spanId: newSpanId() } })).toBeUndefined();
    await tracing.flush();
    await tracing.onApplicationShutdown();
  });

  describe('with an exporter', () => {
    let exporter: InMemorySpanExporter;
    let tracing: TracingService;

    beforeEach(() => {
      exporter = new InMemorySpanExporter();
      tracing = new TracingService(off, { serviceName: 'modelgate-api', exporter });
    });
    afterEach(() => tracing.onApplicationShutdown());

    it('records spans with the ids the work already has, under the given parent, for the process named', async () => {
      const ids = { traceId: newTraceId(), spanId: newSpanId(), parentSpanId: newSpanId() };
      tracing
        .startSpan('POST /v1/models/:name/predict', {
          kind: SpanKind.SERVER,
          ids,
          attributes: { 'http.route': '/v1/models/:name/predict' },
        })!
        .end();
      const root = { traceId: newTraceId(), spanId: newSpanId() };
      tracing.startSpan('training job', { kind: SpanKind.INTERNAL, ids: root })!.end();
      await tracing.flush();
      const [server, job] = exporter.getFinishedSpans();
      expect(server.spanContext()).toMatchObject({ traceId: ids.traceId, spanId: ids.spanId });
      expect(server.parentSpanContext).toMatchObject({ traceId: ids.traceId, spanId: ids.parentSpanId, isRemote: true });
      expect(server.kind).toBe(SpanKind.SERVER);
      expect(server.attributes['http.route']).toBe('/v1/models/:name/predict');
      expect(server.resource.attributes['service.name']).toBe('modelgate-api');
      expect(job.spanContext()).toMatchObject(root);
      expect(job.parentSpanContext).toBeUndefined();
    });

    it("follows a caller that does not sample its trace: the span is not recorded, its ids stay the work's", async () => {
      const ids = { traceId: newTraceId(), spanId: newSpanId(), parentSpanId: newSpanId() };
      const span = tracing.startSpan('GET /x', { kind: SpanKind.SERVER, ids, sampled: false })!;
      expect(span.isRecording()).toBe(false);
      expect(span.spanContext()).toMatchObject({ traceId: ids.traceId, spanId: ids.spanId });
      span.end();
      await tracing.flush();
      expect(exporter.getFinishedSpans()).toEqual([]);
    });
  });

  it('names the service OTEL_SERVICE_NAME when set, and sends OTLP to <endpoint>/v1/traces', () => {
    const config = loadConfigSlice(tracingConfig, {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_SERVICE_NAME: 'gateway-eu',
    });
    expect(config).toEqual({ otlpEndpoint: 'http://collector:4318/', serviceName: 'gateway-eu' });
    expect(otlpTracesUrl(config.otlpEndpoint!)).toBe('http://collector:4318/v1/traces');
    expect(otlpTracesUrl('https://otel.example.com/base')).toBe('https://otel.example.com/base/v1/traces');
    expect(() => loadConfigSlice(tracingConfig, { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});
