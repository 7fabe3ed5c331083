import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { ClusterEvents, ClusterEventsStatus, ClusterPayload } from './cluster-events';
import { newInstanceId } from './instance-id';

interface Envelope {
  /** Publisher's instance id. */
  o: string;
  t: string;
  p: ClusterPayload;
}

const RESYNC = '$resync';
/** Events kept while the publisher cannot reach Redis; past this, receivers are told to drop everything instead. */
const MAX_PENDING = 1_000;

/**
 * Redis pub/sub on one channel per deployment (`<REDIS_KEY_PREFIX>cluster-events`). Events that
 * cannot be published (Redis away) wait and are sent on reconnection; when a replica's own
 * subscription comes back after an outage it tells its caches to resync, since events published
 * meanwhile were lost.
 */
export class RedisClusterEvents implements ClusterEvents {
  readonly instanceId = newInstanceId();
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly channel: string;
  private pending: Envelope[] = [];
  private overflowed = false;
  private subscribed = false;
  private lostSubscription = false;
  private closed = false;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    keyPrefix: string,
    private readonly logger: Pick<Logger, 'warn' | 'log'> = new Logger('ClusterEvents'),
  ) {
    this.channel = `${keyPrefix}cluster-events`;
    subscriber.on('message', (channel: string, message: string) => channel === this.channel && this.receive(message));
    subscriber.on('close', () => this.subscriptionLost());
    subscriber.on('ready', () => void this.resubscribed());
    publisher.on('ready', () => this.flush());
  }

  /** Resolves once the subscription is active. */
  async start(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
    this.subscribed = true;
  }

  publish(topic: string, payload: ClusterPayload): void {
    this.send({ o: this.instanceId, t: topic, p: payload });
  }

  subscribe(topic: string, handler: (payload: ClusterPayload) => void): () => void {
    const listener = (payload: ClusterPayload) => {
      try {
        handler(payload);
      } catch (error) {
        this.logger.warn(`a ${topic} handler failed: ${(error as Error).message}`);
      }
    };
    this.emitter.on(`t:${topic}`, listener);
    return () => this.emitter.off(`t:${topic}`, listener);
  }

  onResync(handler: () => void): () => void {
    this.emitter.on(RESYNC, handler);
    return () => this.emitter.off(RESYNC, handler);
  }

  status(): ClusterEventsStatus {
    return { transport: 'redis', connected: this.subscribed && this.subscriber.status === 'ready' };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Stops delivering. The connections belong to whoever made them (RedisConnections quits them). */
  async close(): Promise<void> {
    this.closed = true;
    this.emitter.removeAllListeners();
  }

  private receive(message: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(message) as Envelope;
    } catch {
      return;
    }
    if (envelope.o === this.instanceId) return;
    if (envelope.t === RESYNC) this.resync();
    else this.emitter.emit(`t:${envelope.t}`, envelope.p);
  }

  private send(envelope: Envelope): void {
    if (this.publisher.status !== 'ready') return this.keep(envelope);
    this.publisher.publish(this.channel, JSON.stringify(envelope)).catch(() => this.keep(envelope));
  }

  private keep(envelope: Envelope): void {
    if (this.overflowed) return;
    if (this.pending.length >= MAX_PENDING) {
      this.pending = [];
      this.overflowed = true;
      return;
    }
    this.pending.push(envelope);
  }

  private flush(): void {
    const pending = this.pending;
    this.pending = [];
    if (this.overflowed) {
      this.overflowed = false;
      this.send({ o: this.instanceId, t: RESYNC, p: {} });
    }
    for (const envelope of pending) this.send(envelope);
  }

  private subscriptionLost(): void {
    if (this.closed || !this.subscribed || this.lostSubscription) return;
    this.lostSubscription = true;
    this.logger.warn(
      "cluster events unavailable (Redis unreachable): other replicas' changes reach this one by cache expiry until it returns",
    );
  }

  private async resubscribed(): Promise<void> {
    if (!this.lostSubscription || this.closed) return;
    try {
      // ioredis resubscribes by itself; waiting for our own SUBSCRIBE to answer means the channel is live again.
      await this.subscriber.subscribe(this.channel);
    } catch {
      return; // lost again: the next 'ready' retries
    }
    this.lostSubscription = false;
    this.logger.log('cluster events restored; caches cleared since events may have been missed');
    this.resync();
  }

  private resync(): void {
    for (const handler of this.emitter.listeners(RESYNC) as (() => void)[]) {
      try {
        handler();
      } catch (error) {
        this.logger.warn(`a resync handler failed: ${(error as Error).message}`);
      }
    }
  }
}
