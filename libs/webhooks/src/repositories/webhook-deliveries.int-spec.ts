import { DataSource } from 'typeorm';
import { OutboxEventEntity } from '@app/audit';
import { IntegrationDatabase, integrationDatabase } from '@app/database/testing';
import { WebhookDeliveryEntity } from '../entities/webhook-delivery.entity';
import { WebhookEntity } from '../entities/webhook.entity';
import { TypeormWebhookDeliveriesRepository } from './webhook-deliveries.typeorm-repository';
import { TypeormWebhooksRepository } from './webhooks.typeorm-repository';

/** Fan-out and claiming SQL on PGlite, and on Postgres (TEST_DATABASE_URL) where replicas really race. */
describe('webhook repositories on TypeORM', () => {
  let db: IntegrationDatabase;
  let ds: DataSource;
  let webhooks: TypeormWebhooksRepository;
  let deliveries: TypeormWebhookDeliveriesRepository;

  const hook = (url: string, events: string[]) => webhooks.insert({ url, events, secret: 's3cret', description: null, createdBy: null });
  const event = async (type: string, data: Record<string, unknown>, traceId: string | null = null) => {
    const [row] = (await ds.query(`INSERT INTO outbox_events (type, data, trace_id) VALUES ($1, $2, $3) RETURNING id`, [
      type,
      JSON.stringify(data),
      traceId,
    ])) as {
      id: string;
    }[];
    return row.id;
  };
  const rowsOf = (webhookId: string) => ds.getRepository(WebhookDeliveryEntity).find({ where: { webhookId } });

  beforeAll(async () => {
    db = await integrationDatabase({
      migrations: ['Baseline1764000000000', 'Webhooks1764000008000', 'Tracing1764000010000'],
      entities: [OutboxEventEntity, WebhookEntity, WebhookDeliveryEntity],
    });
    ds = db.ds;
    webhooks = new TypeormWebhooksRepository(ds);
    deliveries = new TypeormWebhookDeliveriesRepository(ds);
  }, 60_000);
  afterAll(() => db?.close());
  beforeEach(async () => {
    await ds.query(`DELETE FROM webhooks`);
    await ds.query(`DELETE FROM outbox_events`);
  });

  it('fans an event out to the subscribed webhooks once, with the delivery id in the stored body', async () => {
    const a = await hook('http://a/', ['model.version.created']);
    const b = await hook('http://b/', ['model.version.created', 'training.job.finished']);
    const c = await hook('http://c/', ['promotion.decided']);
    const eventId = await event('model.version.created', { model: 'm', version: 1 });

    expect(await deliveries.fanOut(100)).toBe(1);
    expect(await deliveries.fanOut(100)).toBe(0);
    for (const w of [a, b]) {
      const rows = await rowsOf(w.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ eventId, eventType: 'model.version.created', status: 'pending', attempts: 0 });
      expect(rows[0].payload).toEqual({
        id: rows[0].id,
        event: 'model.version.created',
        occurredAt: expect.any(String),
        data: { model: 'm', version: 1 },
      });
      expect(new Date(rows[0].payload.occurredAt).toISOString()).toBe(rows[0].payload.occurredAt);
    }
    expect(await rowsOf(c.id)).toEqual([]);
    const [{ n }] = (await ds.query(`SELECT count(*)::int AS n FROM outbox_events WHERE dispatched_at IS NULL`)) as { n: number }[];
    expect(n).toBe(0);
  });

  it('never makes two deliveries of one event to one webhook, even when fan-outs race', async () => {
    const a = await hook('http://a/', ['training.job.finished']);
    for (let i = 0; i < 20; i++) await event('training.job.finished', { i });
    const counts = await Promise.all([deliveries.fanOut(7), deliveries.fanOut(7), deliveries.fanOut(7)]);
    while ((await deliveries.fanOut(7)) > 0);
    expect(counts.reduce((s, n) => s + n, 0)).toBeLessThanOrEqual(20);
    const rows = await rowsOf(a.id);
    expect(rows).toHaveLength(20);
    expect(new Set(rows.map((r) => r.eventId)).size).toBe(20);
    // Re-dispatching an event (as after a crash between two statements) adds nothing.
    await ds.query(`UPDATE outbox_events SET dispatched_at = NULL`);
    expect(await deliveries.fanOut(100)).toBe(20);
    expect(await rowsOf(a.id)).toHaveLength(20);
  });

  it('gives a new webhook no events dispatched before it existed', async () => {
    await hook('http://early/', ['promotion.requested']);
    await event('promotion.requested', { n: 1 });
    await deliveries.fanOut(100);
    const late = await hook('http://late/', ['promotion.requested']);
    await event('promotion.requested', { n: 2 });
    await deliveries.fanOut(100);
    expect((await rowsOf(late.id)).map((r) => r.payload.data)).toEqual([{ n: 2 }]);
  });

  it('claims each due delivery once, with a lease, and records the outcome', async () => {
    const a = await hook('http://a/', ['promotion.decided']);
    for (let i = 0; i < 10; i++) await event('promotion.decided', { i });
    await deliveries.fanOut(100);

    const [first, second] = await Promise.all([deliveries.claimDue(6, 60_000), deliveries.claimDue(6, 60_000)]);
    const claimed = [...first, ...second];
    expect(claimed).toHaveLength(10);
    expect(new Set(claimed.map((d) => d.id)).size).toBe(10);
    expect(claimed[0]).toMatchObject({ webhookId: a.id, url: 'http://a/', secret: 's3cret', attempts: 1, eventType: 'promotion.decided' });
    expect(claimed[0].payload.id).toBe(claimed[0].id);
    // Leased: not claimable again until the lease lapses (a crashed sender's delivery comes back then).
    expect(await deliveries.claimDue(10, 60_000)).toEqual([]);

    const [ok, retry, failed] = claimed;
    await deliveries.markDelivered(ok.id, 204);
    await deliveries.markRetry(retry.id, { responseStatus: 500, error: 'HTTP 500' }, 0);
    await deliveries.markFailed(failed.id, { responseStatus: null, error: 'x'.repeat(2000) });
    // A late outcome never changes a settled delivery.
    await deliveries.markDelivered(failed.id, 200);

    const again = await deliveries.claimDue(10, 60_000);
    expect(again.map((d) => [d.id, d.attempts])).toEqual([[retry.id, 2]]);
    const byId = new Map((await rowsOf(a.id)).map((r) => [r.id, r]));
    expect(byId.get(ok.id)).toMatchObject({ status: 'delivered', responseStatus: 204, attempts: 1, deliveredAt: expect.any(Date) });
    expect(byId.get(retry.id)).toMatchObject({ status: 'pending', responseStatus: 500, lastError: 'HTTP 500', attempts: 2 });
    expect(byId.get(failed.id)).toMatchObject({ status: 'failed', deliveredAt: null });
    expect(byId.get(failed.id)!.lastError).toHaveLength(500);

    expect((await deliveries.listForWebhook(a.id, 3)).length).toBe(3);
  });

  it("carries an event's trace id to its deliveries and their claims (none stays none)", async () => {
    const a = await hook('http://a/', ['model.version.created']);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await event('model.version.created', { traced: true }, traceId);
    await event('model.version.created', { traced: false });
    await deliveries.fanOut(100);
    expect((await rowsOf(a.id)).map((r) => [r.payload.data.traced, r.traceId]).sort()).toEqual([
      [false, null],
      [true, traceId],
    ]);
    const claimed = await deliveries.claimDue(10, 60_000);
    expect(claimed.map((d) => [d.payload.data.traced, d.traceId]).sort()).toEqual([
      [false, null],
      [true, traceId],
    ]);
    const ping = await deliveries.insert({
      id: '00000000-0000-4000-8000-000000000001',
      webhookId: a.id,
      eventId: '00000000-0000-4000-8000-000000000002',
      eventType: 'ping',
      payload: { id: '00000000-0000-4000-8000-000000000001', event: 'ping', occurredAt: 't', data: {} },
      traceId,
    });
    expect(ping.traceId).toBe(traceId);
    await expect(event('model.version.created', {}, 'NOT-A-TRACE-ID')).rejects.toThrow(/chk_outbox_events_trace_id/);
  });

  it('hands a delivery whose sender died mid-attempt to the next claimer once the lease lapses', async () => {
    await hook('http://a/', ['model.version.created']);
    await event('model.version.created', {});
    await deliveries.fanOut(100);
    const [first] = await deliveries.claimDue(10, 1); // this sender "crashes": no outcome is recorded
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [again] = await deliveries.claimDue(10, 60_000);
    expect(again).toMatchObject({ id: first.id, attempts: 2 });
  });

  it('lets the database refuse unknown event types and states, and deletes deliveries with their webhook', async () => {
    await expect(hook('http://x/', ['model.deleted'])).rejects.toThrow(/chk_webhooks_events/);
    await expect(hook('http://x/', [])).rejects.toThrow(/chk_webhooks_events/);
    const a = await hook('http://a/', ['model.version.transitioned']);
    await event('model.version.transitioned', {});
    await deliveries.fanOut(100);
    const [row] = await rowsOf(a.id);
    await expect(ds.query(`UPDATE webhook_deliveries SET status = 'sent' WHERE id = $1`, [row.id])).rejects.toThrow(
      /chk_webhook_deliveries_status/,
    );
    expect(await webhooks.delete(a.id)).toBe(true);
    expect(await webhooks.delete(a.id)).toBe(false);
    expect(await ds.getRepository(WebhookDeliveryEntity).count()).toBe(0);
  });
});
