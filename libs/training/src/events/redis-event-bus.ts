import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { TrainingEvent, TrainingEventBus, TrainingEventListener } from './training-events';

/**
 * Redis pub/sub on one channel per deployment (`<prefix>:training-events`): one subscriber
 * connection per process, fanned out locally, so a thousand open event streams cost one socket.
 */
export class RedisTrainingEventBus implements TrainingEventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly channel: string;
  private ready?: Promise<unknown>;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    prefix: string,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.channel = `${prefix}:training-events`;
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      try {
        this.emitter.emit('event', JSON.parse(message) as TrainingEvent);
      } catch (error) {
        this.onError(error);
      }
    });
  }

  /** Resolves once the subscription is active (events published before that are not seen). */
  start(): Promise<unknown> {
    this.ready ??= this.subscriber.subscribe(this.channel);
    return this.ready;
  }

  async publish(event: TrainingEvent): Promise<void> {
    await this.publisher.publish(this.channel, JSON.stringify(event));
  }

  subscribe(listener: TrainingEventListener): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Stops delivering. The connections belong to whoever made them (RedisConnections quits them). */
  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
