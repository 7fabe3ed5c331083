import { EventEmitter } from 'node:events';
import { ClusterEvents } from '@app/common';
import { TrainingEvent, TrainingEventBus, TrainingEventListener } from './training-events';

const TOPIC = 'training-events';

/**
 * Training events over the one pub/sub port the replicas share (ClusterEvents: Redis with REDIS_URL,
 * nothing to share without). ClusterEvents never hands a process its own events back, so they are
 * delivered here too: the SSE stream of a job run in this process hears it, and so does every other
 * replica's (and a worker hears a cancel published by any API replica).
 */
export class ClusterTrainingEventBus implements TrainingEventBus {
  private readonly local = new EventEmitter().setMaxListeners(0);
  private readonly unsubscribe: () => void;

  constructor(
    private readonly cluster: ClusterEvents,
    onUnreadable: (error: unknown) => void = () => undefined,
  ) {
    this.unsubscribe = cluster.subscribe(TOPIC, (payload) => {
      try {
        this.local.emit('event', JSON.parse(String(payload.event)) as TrainingEvent);
      } catch (error) {
        onUnreadable(error);
      }
    });
  }

  async publish(event: TrainingEvent): Promise<void> {
    // Listeners run after the publisher's current step, as they would with a broker.
    setImmediate(() => this.local.emit('event', event));
    this.cluster.publish(TOPIC, { event: JSON.stringify(event) });
  }

  subscribe(listener: TrainingEventListener): () => void {
    this.local.on('event', listener);
    return () => this.local.off('event', listener);
  }

  close(): void {
    this.unsubscribe();
    this.local.removeAllListeners();
  }
}
