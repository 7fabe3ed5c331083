import { loadConfigSlice } from '@app/common';
import type { ScheduledJobs } from '@app/database';
import type { AttemptFailure, ClaimedDelivery, WebhookDeliveriesRepository } from '../repositories/webhook-deliveries.repository';
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
  async claimDue(limit: number) {
    this.claims.push(limit);
    return this.due.splice(0, limit);
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
    dispatcher = new WebhookDispatcher(repo as unknown as WebhookDeliveriesRepository, sender, scheduled, config);
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
});
