import { Injectable, Optional } from '@nestjs/common';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import { InjectConfig, type TraceIds } from '@app/common';
import { formatTraceparent, newSpanId, newTraceId, type Span, SpanKind, SpanStatusCode, TracingService } from '@app/observability';
import { checkDestination } from '../domain/allowed-hosts';
import { signPayload } from '../domain/signature';
import { serialisePayload, type WebhookPayload } from '../domain/webhook-events';
import { webhooksConfig, type WebhooksConfig } from '../webhooks.config';

export type SendOutcome = { ok: true; status: number } | { ok: false; status: number | null; error: string };

/**
 * One HTTP attempt of one delivery. The destination is checked against the allow-list again here
 * (the list may have changed since the webhook was created); redirects are not followed (a 3xx
 * is a failure: following one would let a receiver send us anywhere); the whole exchange has a
 * deadline. Never throws, and what it reports never contains the secret.
 *
 * The request carries `traceparent`: the trace of the event's cause (or a new one), with `trace`'s
 * span as the receiver's parent; with OpenTelemetry on, that span is recorded (CLIENT).
 */
@Injectable()
export class WebhookSender {
  constructor(
    @InjectConfig(webhooksConfig) private readonly config: WebhooksConfig,
    @Optional() private readonly tracing?: TracingService,
  ) {}

  async send(url: string, secret: string, payload: WebhookPayload, trace?: TraceIds): Promise<SendOutcome> {
    const destination = checkDestination(url, this.config.allowedHosts);
    if (!destination.ok) return { ok: false, status: null, error: `destination not allowed (${destination.reason})` };
    const body = serialisePayload(payload);
    const ids = trace ?? { traceId: newTraceId(), spanId: newSpanId() };
    const span = this.tracing?.startSpan('POST webhook', {
      kind: SpanKind.CLIENT,
      ids,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: 'POST',
        // Without the query: a receiver's URL may carry a token there.
        [ATTR_URL_FULL]: `${destination.url.origin}${destination.url.pathname}`,
        [ATTR_SERVER_ADDRESS]: destination.url.hostname,
        'modelgate.webhook.event': payload.event,
        'modelgate.webhook.delivery_id': payload.id,
      },
    });
    const outcome = await this.post(destination.url, secret, payload, body, formatTraceparent(ids.traceId, ids.spanId, true));
    if (span) endClientSpan(span, outcome);
    return outcome;
  }

  private async post(url: URL, secret: string, payload: WebhookPayload, body: string, traceparent: string): Promise<SendOutcome> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'ModelGate-Webhooks/1',
          'x-modelgate-event': payload.event,
          'x-modelgate-delivery': payload.id,
          'x-modelgate-signature': signPayload(body, secret),
          traceparent,
        },
        body,
      });
      // The answer's body is not used: drop it so the connection is released at once.
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
      const what = response.status >= 300 && response.status < 400 ? 'redirect not followed' : 'non-2xx answer';
      return { ok: false, status: response.status, error: `HTTP ${response.status} (${what})` };
    } catch (error) {
      return { ok: false, status: null, error: describe(error, this.config.timeoutMs) };
    }
  }
}

function endClientSpan(span: Span, outcome: SendOutcome): void {
  if (outcome.status !== null) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, outcome.status);
  if (!outcome.ok) {
    span.setAttribute(ATTR_ERROR_TYPE, outcome.status !== null ? String(outcome.status) : 'network');
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error });
  }
  span.end();
}

/** Why an attempt got no answer, in words safe to store and show (never headers, never the secret). */
function describe(error: unknown, timeoutMs: number): string {
  // Duck-typed: fetch's errors may come from another realm (instanceof Error is not reliable).
  const e = (error ?? {}) as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  if (e.cause?.code) return `network error: ${e.cause.code}`;
  return `network error: ${e.cause?.message ?? e.message ?? String(error)}`;
}
