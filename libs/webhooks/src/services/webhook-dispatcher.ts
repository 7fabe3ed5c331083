import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectConfig, type TraceIds, TraceScope } from '@app/common';
import { newSpanId, newTraceId } from '@app/observability';
import { type ScheduledJob, ScheduledJobs } from '@app/database';
import { retryDelayMs } from '../domain/backoff';
import { ClaimedDelivery, WebhookDeliveriesRepository } from '../repositories/webhook-deliveries.repository';
import { webhooksConfig, type WebhooksConfig } from '../webhooks.config';
import { WebhookDeliveryQueue } from '../queue/webhook-delivery-queue';
import { WebhookSender } from './webhook-sender';

/** Outbox events fanned out per statement. */
const FAN_OUT_BATCH = 500;
/** A claimed attempt's lease beyond the send deadline: then a crashed sender's delivery is due again. */
const LEASE_MARGIN_MS = 30_000;
/** Pending deliveries offered to BullMQ per pass. */
const OFFER_BATCH = 1_000;

export interface DispatchReport {
  events: number;
  sent: number;
}

/**
 * Delivers webhooks in the background, off every request path: the scheduled job
 * `webhooks.deliver` (every WEBHOOK_POLL_INTERVAL_MS) fans new outbox events out to deliveries,
 * then either sends what is due itself, at most WEBHOOK_CONCURRENCY at once (no Redis), or hands
 * the deliveries due before its next pass to BullMQ, whose workers (every replica) send them at
 * their time. All state is in the database, so any number of replicas can run it (rows are
 * claimed with SKIP LOCKED) and a crash loses nothing.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly job: ScheduledJob<DispatchReport>;
  private again = false;
  private stopping = false;

  constructor(
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly sender: WebhookSender,
    scheduled: ScheduledJobs,
    @InjectConfig(webhooksConfig) private readonly config: WebhooksConfig,
    private readonly queue: WebhookDeliveryQueue,
  ) {
    this.job = scheduled.define('webhooks.deliver', () => this.pass());
  }

  onApplicationBootstrap(): void {
    this.job.every(this.config.pollIntervalMs);
  }

  /** Claims nothing more: the attempts in flight finish (ScheduledJobs awaits them), the rest waits in the database. */
  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  /** Runs a pass soon (a test ping should not wait for the next tick); never throws. */
  nudge(): void {
    if (this.config.pollIntervalMs <= 0 || this.stopping) return;
    this.again = true;
    void this.job.run().catch((error: unknown) => this.logger.error({ err: error, msg: 'webhook delivery pass failed' }));
  }

  /** One pass now (joins one in progress). */
  async runOnce(): Promise<DispatchReport> {
    const run = await this.job.run();
    return run.ran ? run.result : { events: 0, sent: 0 };
  }

  private async pass(): Promise<DispatchReport> {
    const report: DispatchReport = { events: 0, sent: 0 };
    do {
      this.again = false;
      let fanned: number;
      do {
        fanned = await this.deliveries.fanOut(FAN_OUT_BATCH);
        report.events += fanned;
      } while (fanned === FAN_OUT_BATCH && !this.stopping);
      if (this.queue.kind === 'bullmq') await this.offerDue();
      else report.sent += await this.sendDue();
    } while (this.again && !this.stopping);
    return report;
  }

  /** BullMQ's consumer: one attempt at this delivery, if it is still pending, due and unclaimed. */
  async deliverOne(id: string): Promise<boolean> {
    if (this.stopping) return false;
    const [delivery] = await this.deliveries.claimDue(1, this.config.timeoutMs + LEASE_MARGIN_MS, id);
    if (!delivery) return false;
    await this.attempt(delivery);
    return true;
  }

  /** Queues what falls due before the next pass (and anything overdue: a job lost with Redis is offered again). */
  private async offerDue(): Promise<void> {
    const pending = await this.deliveries.listPending(this.config.pollIntervalMs * 2, OFFER_BATCH);
    await this.queue.enqueue(pending);
  }

  /** Sends due deliveries in batches of `concurrency` (each batch claimed, then sent in parallel). */
  private async sendDue(): Promise<number> {
    const { concurrency, timeoutMs } = this.config;
    let sent = 0;
    while (!this.stopping) {
      const batch = await this.deliveries.claimDue(concurrency, timeoutMs + LEASE_MARGIN_MS);
      if (!batch.length) return sent;
      await Promise.all(batch.map((d) => this.attempt(d)));
      sent += batch.length;
      if (batch.length < concurrency) return sent;
    }
    return sent;
  }

  /** One attempt, in the trace of the event's cause (a new one without): its request and its log lines name it. */
  private attempt(delivery: ClaimedDelivery): Promise<void> {
    const trace: TraceIds = { traceId: delivery.traceId ?? newTraceId(), spanId: newSpanId() };
    return TraceScope.run(trace, () => this.attemptIn(trace, delivery));
  }

  private async attemptIn(trace: TraceIds, delivery: ClaimedDelivery): Promise<void> {
    const outcome = await this.sender.send(delivery.url, delivery.secret, delivery.payload, trace);
    try {
      if (outcome.ok) {
        await this.deliveries.markDelivered(delivery.id, outcome.status);
        return;
      }
      const failure = { responseStatus: outcome.status, error: outcome.error };
      if (delivery.attempts >= this.config.maxAttempts) {
        await this.deliveries.markFailed(delivery.id, failure);
        this.logger.warn({
          deliveryId: delivery.id,
          webhookId: delivery.webhookId,
          attempts: delivery.attempts,
          msg: `webhook delivery failed: ${outcome.error}`,
        });
      } else {
        const delayMs = retryDelayMs(delivery.attempts, this.config.backoff);
        await this.deliveries.markRetry(delivery.id, failure, delayMs);
        await this.queue.enqueue([{ id: delivery.id, attempts: delivery.attempts, nextAttemptAt: new Date(Date.now() + delayMs) }]);
      }
    } catch (error) {
      // The attempt's lease makes the delivery due again later: at-least-once, never lost.
      this.logger.error({ err: error, deliveryId: delivery.id, msg: 'could not record a webhook delivery attempt' });
    }
  }
}
