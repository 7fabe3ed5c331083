import { errorFromResponse, isModelGateError, ModelGateError, networkError, type Problem } from './errors';
import type { EpochRecordDto, TrainingJobDto } from './generated/types.gen';
import { abortableSleep } from './retry';

/** One epoch of a training job: its record plus where the job stands. */
export type TrainingProgress = EpochRecordDto & {
  /** Epochs the job will run. */
  epochs: number;
  /** The run this epoch belongs to (a job whose worker died is run again: its epochs start over). */
  attempt: number;
};

/** `progress`: one per epoch (a stream joined late first replays the epochs done so far). */
export interface TrainingProgressEvent {
  type: 'progress';
  /** `<attempt>.<epoch>` */
  id: string | undefined;
  data: TrainingProgress;
}

/** `status`: the finished job (succeeded, failed or cancelled); always the last event. */
export interface TrainingStatusEvent {
  type: 'status';
  id: string | undefined;
  data: TrainingJobDto;
}

export type TrainingEvent = TrainingProgressEvent | TrainingStatusEvent;

export interface TrainingEventsOptions {
  signal?: AbortSignal;
  /** Reconnections after the stream broke before the final `status` event (default 5). */
  maxReconnects?: number;
  /** Wait before reconnecting, in ms (default 1000, or the server's `retry:` field). */
  reconnectDelayMs?: number;
}

/** A raw Server-Sent Event (WHATWG HTML § 9.2). */
export interface ServerSentEvent {
  event: string;
  data: string;
  id: string | undefined;
  retry: number | undefined;
}

/** Opens the event stream (the client's authenticated, retried GET). */
export type OpenEventStream = (headers: Record<string, string>, signal: AbortSignal) => Promise<Response>;

/**
 * Follows a training job: typed `progress` events, then the final `status` event, then the
 * iteration ends. A stream that breaks before the end is reopened (with `Last-Event-ID`); the
 * epochs the server replays are skipped, so none is seen twice. A `revoked` event (the caller lost
 * access meanwhile) is thrown as a ModelGateError; unknown event types are skipped.
 */
export async function* followTrainingEvents(
  open: OpenEventStream,
  options: TrainingEventsOptions = {},
): AsyncGenerator<TrainingEvent, void, undefined> {
  const seen = new Set<string>();
  const maxReconnects = options.maxReconnects ?? 5;
  let reconnectDelay = options.reconnectDelayMs ?? 1000;
  let lastEventId: string | undefined;
  let failures = 0;
  for (;;) {
    const controller = new AbortController();
    const abort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', abort, { once: true });
    let broken: unknown;
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (lastEventId) headers['last-event-id'] = lastEventId;
      const response = await open(headers, controller.signal);
      if (!response.ok) throw errorFromResponse(response, await readBody(response));
      if (!response.body) throw networkError(new Error('the event stream has no body'));
      for await (const message of parseServerSentEvents(response.body)) {
        if (message.retry !== undefined) reconnectDelay = message.retry;
        if (message.event === 'progress') {
          const data = JSON.parse(message.data) as TrainingProgress;
          const key = message.id ?? `${data.attempt}.${data.epoch}`;
          if (seen.has(key)) continue;
          seen.add(key);
          lastEventId = message.id ?? lastEventId;
          failures = 0;
          yield { type: 'progress', id: message.id, data };
        } else if (message.event === 'status') {
          yield { type: 'status', id: message.id, data: JSON.parse(message.data) as TrainingJobDto };
          return;
        } else if (message.event === 'revoked') {
          throw new ModelGateError(JSON.parse(message.data) as Problem);
        }
      }
    } catch (error) {
      // The caller's abort, the server's refusals and unreadable events are final; a broken connection is retried below.
      if (options.signal?.aborted || error instanceof SyntaxError) throw error;
      if (isModelGateError(error) && error.code !== 'NETWORK_ERROR') throw error;
      broken = error;
    } finally {
      options.signal?.removeEventListener('abort', abort);
      controller.abort();
    }
    if (++failures > maxReconnects) {
      if (isModelGateError(broken)) throw broken;
      throw networkError(broken ?? new Error('the event stream ended before the job finished'));
    }
    await abortableSleep(reconnectDelay, options.signal);
  }
}

/** Parses a `text/event-stream` body into its events (comments and empty events skipped). */
export async function* parseServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  let retry: number | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        // A CR at the end of what arrived may be the first half of a CRLF: wait for the next chunk.
        if (buffer[newline] === '\r' && newline === buffer.length - 1) break;
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (data.length) yield { event: event || 'message', data: data.join('\n'), id, retry };
          event = '';
          data = [];
          retry = undefined;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id' && !value.includes('\0')) id = value;
        else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => '');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
