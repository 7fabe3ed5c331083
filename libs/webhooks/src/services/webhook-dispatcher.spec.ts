import { loadConfigSlice } from '@app/common';
import type { ScheduledJobs } from '@app/database';
import type {
  AttemptFailure,
  ClaimedDelivery,
  PendingDelivery,
  WebhookDeliveriesRepository,
} from '../repositories/webhook-deliveries.repository';
import { InProcessWebhookDeliveryQueue, WebhookDeliveryQueue } from '../queue/webhook-delivery-queue';
import { webhooksConfig } from '../webhooks.config';
import { WebhookDispatcher } from './webhook-dispatcher';
import type { SendOutcome, WebhookSender } from './webhook-sender';

/** A job runner that runs the work when asked (no timers). */
const scheduled = {
  define: (name: string, work: () => Promise<unknown>) => ({
    name,
    run: async () => ({ ran: true, result: await work() }),
    every: () => undefined,
  }),
} as unknown as ScheduledJobs;

function delivery(id: string, attempts: number): ClaimedDelivery {
  return {
    id,
    webhookId: 'w',
    eventType: 'ping',
    attempts,
    url: 'http://127.0.0.1/',
    secret: 's',
    payload: { id, event: 'ping', occurredAt: 't', data: {} },
  };
}

class FakeDeliveries {
  due: ClaimedDelivery[] = [];
  claims: number[] = [];
  delivered: [string, number][] = [];
  retried: [string, AttemptFailure, number][] = [];
  failed: [string, AttemptFailure][] = [];
  failRecording = false;
  fanOut = jest.fn(async () => 0);
  pending: PendingDelivery[] = [];
  async claimDue(limit: number, _leaseMs: number, id?: string) {
    this.claims.push(limit);
    if (id === undefined) return this.due.splice(0, limit);
    const i = this.due.findIndex((d) => d.id === id);
    return i < 0 ? [] : this.due.splice(i, 1);
  }
  async listPending() {
    return this.pending;
  }
  async markDelivered(id: string, status: number) {
    if (this.failRecording) throw new Error('database down');
    this.delivered.push([id, status]);
  }
  async markRetry(id: string, failure: AttemptFailure, delayMs: number) {
    this.retried.push([id, failure, delayMs]);
  }
  async markFailed(id: string, failure: AttemptFailure) {
    this.failed.push([id, failure]);
  }
}

describe('WebhookDispatcher', () => {
  const config = loadConfigSlice(webhooksConfig, { WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_CONCURRENCY: '2', WEBHOOK_RETRY_BASE_MS: '1000' });
  let repo: FakeDeliveries;
  let outcomes: Map<string, SendOutcome>;
  let dispatcher: WebhookDispatcher;

  beforeEach(() => {
    repo = new FakeDeliveries();
    outcomes = new Map();
    const sender = { send: async (_url: string, _secret: string, p: { id: string }) => outcomes.get(p.id)! } as unknown as WebhookSender;
    dispatcher = new WebhookDispatcher(
      repo as unknown as WebhookDeliveriesRepository,
      sender,
      scheduled,
      config,
      new InProcessWebhookDeliveryQueue(),
    );
  });

  it('records delivered, retried (with backoff) and failed (at the last attempt) outcomes', async () => {
    repo.due = [delivery('ok', 1), delivery('retry', 2), delivery('last', 3)];
    outcomes.set('ok', { ok: true, status: 200 });
    outcomes.set('retry', { ok: false, status: 500, error: 'HTTP 500 (non-2xx answer)' });
    outcomes.set('last', { ok: false, status: null, error: 'no answer within 5000 ms' });

    expect(await dispatcher.runOnce()).toEqual({ events: 0, sent: 3 });
    expect(repo.fanOut).toHaveBeenCalled();
    expect(repo.delivered).toEqual([['ok', 200]]);
    expect(repo.retried).toHaveLength(1);
    const [id, failure, delay] = repo.retried[0];
    expect([id, failure]).toEqual(['retry', { responseStatus: 500, error: 'HTTP 500 (non-2xx answer)' }]);
    // After attempt 2: 1000 × 4 = 4000 ms, jittered into [2000, 4000].
    expect(delay).toBeGreaterThanOrEqual(2000);
    expect(delay).toBeLessThanOrEqual(4000);
    expect(repo.failed).toEqual([['last', { responseStatus: null, error: 'no answer within 5000 ms' }]]);
  });

  it('claims in batches of WEBHOOK_CONCURRENCY until nothing is due', async () => {
    repo.due = ['a', 'b', 'c'].map((id) => delivery(id, 1));
    for (const d of repo.due) outcomes.set(d.id, { ok: true, status: 204 });
    await dispatcher.runOnce();
    expect(repo.claims).toEqual([2, 2]);
    expect(repo.delivered.map(([id]) => id)).toEqual(['a', 'b', 'c']);
  });

  it('survives an outcome it cannot record (the lease brings the delivery back)', async () => {
    repo.due = [delivery('x', 1)];
    outcomes.set('x', { ok: true, status: 200 });
    repo.failRecording = true;
    await expect(dispatcher.runOnce()).resolves.toEqual({ events: 0, sent: 1 });
  });

  describe('with BullMQ (REDIS_URL)', () => {
    class RecordingQueue extends WebhookDeliveryQueue {
      readonly kind = 'bullmq' as const;
      readonly offered: Pick<PendingDelivery, 'id' | 'attempts' | 'nextAttemptAt'>[] = [];
      async enqueue(deliveries: readonly Pick<PendingDelivery, 'id' | 'attempts' | 'nextAttemptAt'>[]) {
        this.offered.push(...deliveries);
      }
    }
    let queue: RecordingQueue;
    let bull: WebhookDispatcher;

    beforeEach(() => {
      queue = new RecordingQueue();
      const sender = { send: async (_url: string, _secret: string, p: { id: string }) => outcomes.get(p.id)! } as unknown as WebhookSender;
      bull = new WebhookDispatcher(repo as unknown as WebhookDeliveriesRepository, sender, scheduled, config, queue);
    });

    it('a pass fans out and offers the pending deliveries to the queue instead of sending them', async () => {
      const soon = { id: 'p', attempts: 0, nextAttemptAt: new Date() };
      repo.pending = [soon];
      repo.due = [delivery('p', 1)];
      expect(await bull.runOnce()).toEqual({ events: 0, sent: 0 });
      expect(repo.fanOut).toHaveBeenCalled();
      expect(queue.offered).toEqual([soon]);
      expect(repo.claims).toEqual([]);
    });

    it('a job sends its one delivery if it is still due; a retry is queued for when it falls due', async () => {
      repo.due = [delivery('a', 1), delivery('b', 1)];
      outcomes.set('b', { ok: false, status: 503, error: 'HTTP 503 (non-2xx answer)' });
      const before = Date.now();
      expect(await bull.deliverOne('b')).toBe(true);
      expect(repo.retried.map(([id]) => id)).toEqual(['b']);
      const [retry] = queue.offered;
      expect(retry).toMatchObject({ id: 'b', attempts: 1 });
      // 1000 ms base after the first attempt, jittered into [500, 1000].
      expect(retry.nextAttemptAt.getTime() - before).toBeGreaterThanOrEqual(500);
      expect(await bull.deliverOne('b')).toBe(false); // taken (or not due): nothing sent twice
      expect(repo.due.map((d) => d.id)).toEqual(['a']);
    });
  });
});
