import { Inject, Injectable, OnApplicationShutdown, Optional } from '@nestjs/common';
import { type Attributes, ROOT_CONTEXT, type Span, SpanKind, trace, TraceFlags, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  type IdGenerator,
  ParentBasedSampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { InjectConfig, type TraceIds } from '@app/common';
import { newSpanId, newTraceId } from './trace-context';
import { otlpTracesUrl, tracingConfig, type TracingConfig } from './tracing.config';

export { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';

/** What the process tells TracingModule: its default service name, and (tests) an exporter to use instead of OTLP. */
export interface TracingOptions {
  serviceName: string;
  /** Spans go here, whatever the configuration says (tests: an InMemorySpanExporter). */
  exporter?: SpanExporter;
}
export const TRACING_OPTIONS = Symbol('TRACING_OPTIONS');

export interface SpanStart {
  kind: SpanKind;
  /** The span's own ids, already made (they are in headers and log lines before the span exists). */
  ids: TraceIds;
  /** The caller's sampled flag, with ids.parentSpanId (a span without a parent is sampled). */
  sampled?: boolean;
  attributes?: Attributes;
}

/**
 * Optional OpenTelemetry export: with OTEL_EXPORTER_OTLP_ENDPOINT (or an exporter given by a test),
 * an OpenTelemetry tracer provider whose spans are batched (BatchSpanProcessor) to OTLP over HTTP,
 * flushed and shut down when the application stops. Without, every method is a no-op that costs a
 * property read: trace ids are still read, made and passed on (headers, logs, usage, events), just
 * no span is recorded.
 *
 * Spans take the ids this service made for the work (startSpan's `ids`), so the span a backend
 * shows is the one named in the logs, in `traceresponse` and in the `traceparent` sent onwards.
 * No global provider or context manager is registered: parents are always explicit.
 */
@Injectable()
export class TracingService implements OnApplicationShutdown {
  private readonly provider?: BasicTracerProvider;
  private readonly tracer?: Tracer;
  private readonly ids = new GivenIds();

  constructor(
    @InjectConfig(tracingConfig) config: TracingConfig,
    @Optional() @Inject(TRACING_OPTIONS) options: TracingOptions = { serviceName: 'modelgate' },
  ) {
    const exporter =
      options.exporter ?? (config.otlpEndpoint ? new OTLPTraceExporter({ url: otlpTracesUrl(config.otlpEndpoint) }) : undefined);
    if (!exporter) return;
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName ?? options.serviceName }),
      // A caller that does not sample its trace is followed (no span recorded here either).
      sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
      idGenerator: this.ids,
      spanProcessors: [new BatchSpanProcessor(exporter)],
    });
    this.tracer = this.provider.getTracer('modelgate');
  }

  /** Whether spans are recorded (an exporter is configured). */
  get enabled(): boolean {
    return this.tracer !== undefined;
  }

  /** A span with the given ids (a child of ids.parentSpanId when set); undefined when tracing is off. */
  startSpan(name: string, start: SpanStart): Span | undefined {
    if (!this.tracer) return undefined;
    const { traceId, spanId, parentSpanId } = start.ids;
    const parent = parentSpanId
      ? trace.setSpanContext(ROOT_CONTEXT, {
          traceId,
          spanId: parentSpanId,
          traceFlags: start.sampled === false ? TraceFlags.NONE : TraceFlags.SAMPLED,
          isRemote: true,
        })
      : ROOT_CONTEXT;
    return this.ids.using(traceId, spanId, () => this.tracer!.startSpan(name, { kind: start.kind, attributes: start.attributes }, parent));
  }

  /** Exports every ended span now. */
  async flush(): Promise<void> {
    await this.provider?.forceFlush();
  }

  /** Last, after everything else has stopped (and ended its spans): flushes the batch and closes the exporter. */
  async onApplicationShutdown(): Promise<void> {
    await this.provider?.shutdown();
  }
}

/**
 * The SDK draws a span's ids from its IdGenerator; for the span being started, these are the ids
 * the work already has (startSpan runs synchronously, so nothing else can start a span meanwhile).
 */
class GivenIds implements IdGenerator {
  private traceId: string | undefined;
  private spanId: string | undefined;

  using<T>(traceId: string, spanId: string, start: () => T): T {
    this.traceId = traceId;
    this.spanId = spanId;
    try {
      return start();
    } finally {
      this.traceId = undefined;
      this.spanId = undefined;
    }
  }

  generateTraceId(): string {
    return this.traceId ?? newTraceId();
  }

  generateSpanId(): string {
    return this.spanId ?? newSpanId();
  }
}
