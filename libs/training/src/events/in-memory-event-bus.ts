import { EventEmitter } from 'node:events';
import { TrainingEvent, TrainingEventBus, TrainingEventListener } from './training-events';

/** Without Redis, jobs run in the API process itself, so its own emitter reaches every listener. */
export class InMemoryTrainingEventBus implements TrainingEventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(event: TrainingEvent): Promise<void> {
    // Listeners run after the publisher's current step, as they would with a real broker.
    setImmediate(() => this.emitter.emit('event', event));
  }

  subscribe(listener: TrainingEventListener): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
