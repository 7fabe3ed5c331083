import { ModelGateClient } from './client';
import { isModelGateError } from './errors';
import { eventStream, fakeFetch } from './testing/fake-server';
import { parseServerSentEvents, type TrainingEvent } from './training-events';

const baseUrl = 'https://mg.test';
const progress = (epoch: number, epochs = 3) =>
  `event: progress\nid: 1.${epoch}\ndata: ${JSON.stringify({ epoch, loss: 1 / epoch, valLoss: 1 / epoch, durationMs: 5, epochs, attempt: 1 })}\n\n`;
const status = (s: string) =>
  `event: status\ndata: ${JSON.stringify({ id: 'job-1', status: s, modelVersion: 1, metrics: { accuracy: 0.9 } })}\n\n`;

async function collect(events: AsyncIterable<TrainingEvent>): Promise<TrainingEvent[]> {
  const seen: TrainingEvent[] = [];
  for await (const e of events) seen.push(e);
  return seen;
}

describe('trainingEvents', () => {
  it('yields typed progress events, then the final status, then ends', async () => {
    const server = fakeFetch(() =>
      eventStream([': hello\n\n', progress(1), progress(2).slice(0, 20), progress(2).slice(20), progress(3), status('succeeded')]),
    );
    const mg = new ModelGateClient({ baseUrl, apiKey: 'k', fetch: server.fetch });
    const events = await collect(mg.trainingEvents('job-1'));
    expect(events.map((e) => e.type)).toEqual(['progress', 'progress', 'progress', 'status']);
    const [first, , , last] = events;
    if (first.type !== 'progress' || last.type !== 'status') throw new Error('unexpected event types');
    expect(first).toEqual({ type: 'progress', id: '1.1', data: { epoch: 1, loss: 1, valLoss: 1, durationMs: 5, epochs: 3, attempt: 1 } });
    expect(last.data).toMatchObject({ status: 'succeeded', metrics: { accuracy: 0.9 } });
    expect(server.requests[0]).toMatchObject({ method: 'GET', path: '/v1/training-jobs/job-1/events' });
    expect(server.requests[0].headers.get('accept')).toBe('text/event-stream');
    expect(server.requests[0].headers.get('x-api-key')).toBe('k');
  });

  it('reconnects after a broken stream with Last-Event-ID and skips the epochs the server replays', async () => {
    const server = fakeFetch((_r, n) =>
      n === 1 ? eventStream([progress(1), progress(2)], true) : eventStream([progress(1), progress(2), progress(3), status('succeeded')]),
    );
    const mg = new ModelGateClient({ baseUrl, apiKey: 'k', fetch: server.fetch });
    const events = await collect(mg.trainingEvents('job-1', { reconnectDelayMs: 1 }));
    expect(events.map((e) => (e.type === 'progress' ? e.data.epoch : e.data.status))).toEqual([1, 2, 3, 'succeeded']);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1].headers.get('last-event-id')).toBe('1.2');
  });

  it('throws a revoked event as a ModelGateError', async () => {
    const revoked = `event: revoked\ndata: ${JSON.stringify({ status: 401, code: 'TOKEN_REVOKED', detail: 'signed out everywhere' })}\n\n`;
    const server = fakeFetch(() => eventStream([progress(1), revoked]));
    const mg = new ModelGateClient({ baseUrl, apiKey: 'k', fetch: server.fetch });
    const error = await collect(mg.trainingEvents('job-1')).catch((e: unknown) => e);
    expect(isModelGateError(error, 'TOKEN_REVOKED')).toBe(true);
    expect(error).toMatchObject({ status: 401, detail: 'signed out everywhere' });
  });

  it('throws the refusal of the stream itself (e.g. 404) without reconnecting', async () => {
    const server = fakeFetch(
      () => new Response(JSON.stringify({ status: 404, code: 'TRAINING_JOB_NOT_FOUND', detail: 'no such job' }), { status: 404 }),
    );
    const mg = new ModelGateClient({ baseUrl, apiKey: 'k', fetch: server.fetch });
    await expect(collect(mg.trainingEvents('nope'))).rejects.toMatchObject({ status: 404, code: 'TRAINING_JOB_NOT_FOUND' });
    expect(server.requests).toHaveLength(1);
  });
});

describe('parseServerSentEvents', () => {
  it('follows the SSE format: CRLF, multi-line data, comments, default event type, retry', async () => {
    const body = eventStream([
      'retry: 2500\r\ndata: a\r',
      '\ndata: b\r\n\r\n: comment\n\nevent: x\nid: 7\ndata:c\n\n',
      'data: unterminated',
    ]).body!;
    const events = [];
    for await (const e of parseServerSentEvents(body)) events.push(e);
    expect(events).toEqual([
      { event: 'message', data: 'a\nb', id: undefined, retry: 2500 },
      { event: 'x', data: 'c', id: '7', retry: undefined },
    ]);
  });
});
