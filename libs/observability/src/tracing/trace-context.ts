import { randomFillSync } from 'node:crypto';
import type { TraceIds } from '@app/common';

/** W3C Trace Context: the caller's place in a trace (request) and ours (response, Level 2). */
export const TRACEPARENT_HEADER = 'traceparent';
export const TRACERESPONSE_HEADER = 'traceresponse';

/** A parsed `traceparent`: the caller's trace, its span, and whether it samples (records) the trace. */
export interface TraceParent {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

/** A request's trace: its own span (the SERVER span), under the caller's when it sent one. */
export interface RequestTrace extends TraceIds {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  /** The caller's sampled flag (a trace this service starts is sampled). */
  readonly sampled: boolean;
}

const INVALID_TRACE_ID = '0'.repeat(32);
const INVALID_SPAN_ID = '0'.repeat(16);
// version-traceid-parentid-flags, lower-case hex only; a later version may append fields after a '-'.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-|$)/;

/**
 * The caller's `traceparent`, when it is one (W3C Trace Context, version 00; a later version is
 * read by its version-00 fields). Anything else (absent, repeated, malformed, all-zero ids, the
 * forbidden version ff) is no trace: the request starts a new one, it is never an error.
 */
export function parseTraceparent(header: string | string[] | undefined): TraceParent | undefined {
  if (typeof header !== 'string') return undefined;
  const match = TRACEPARENT.exec(header);
  if (!match) return undefined;
  const [, version, traceId, spanId, flags] = match;
  if (version === 'ff' || (version === '00' && header.length !== 55)) return undefined;
  if (traceId === INVALID_TRACE_ID || spanId === INVALID_SPAN_ID) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

/** A version-00 `traceparent` (or `traceresponse`) value. */
export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

/** The trace a request runs in: the caller's (with a new span of ours under its span), else a new one. */
export function requestTraceFor(traceparent: string | string[] | undefined): RequestTrace {
  const parent = parseTraceparent(traceparent);
  return parent
    ? { traceId: parent.traceId, spanId: newSpanId(), parentSpanId: parent.spanId, sampled: parent.sampled }
    : { traceId: newTraceId(), spanId: newSpanId(), parentSpanId: undefined, sampled: true };
}

/** The trace request pipeline step 1 set on the Node request (undefined for a request it never saw). */
export function requestTrace(raw: object): RequestTrace | undefined {
  return (raw as { trace?: RequestTrace }).trace;
}

/** Sets a request's trace on the Node request (request pipeline step 1: genReqId). */
export function setRequestTrace(raw: object, trace: RequestTrace): void {
  (raw as { trace?: RequestTrace }).trace = trace;
}

export function isTraceId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{32}$/.test(value) && value !== INVALID_TRACE_ID;
}

// Ids are drawn from a pool of random bytes, refilled 4 KiB at a time: one syscall per ~170
// requests instead of one per id, on the inference routes' path.
const pool = Buffer.allocUnsafe(4096);
let used = pool.length;

function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  used += bytes;
  return hex;
}

/** A random 16-byte trace id (32 hex), never the invalid all-zero one. */
export function newTraceId(): string {
  let id = randomHex(16);
  while (id === INVALID_TRACE_ID) id = randomHex(16);
  return id;
}

/** A random 8-byte span id (16 hex), never the invalid all-zero one. */
export function newSpanId(): string {
  let id = randomHex(8);
  while (id === INVALID_SPAN_ID) id = randomHex(8);
  return id;
}
