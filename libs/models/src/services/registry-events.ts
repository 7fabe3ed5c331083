import { Inject, Injectable, OnModuleDestroy, Optional } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import { CLUSTER_EVENTS, ClusterEvents, ClusterPayload, InProcessClusterEvents } from '@app/common';

export interface RegistryEvent {
  type: 'model' | 'version' | 'alias' | 'traffic';
  modelName: string;
  version?: number;
}

const TOPIC = 'registry';
const TYPES = new Set(['model', 'version', 'alias', 'traffic']);

/**
 * Notifications of registry writes, emitted after the transaction commits, so caches (the serving
 * layer's resolved versions and loaded models) can drop what they hold for a model. Writes made
 * here are delivered at once and published to the other replicas (cluster events); theirs arrive
 * the same way, so every replica sees a change within milliseconds while Redis is up.
 */
@Injectable()
export class RegistryEvents implements OnModuleDestroy {
  private readonly subject = new Subject<RegistryEvent>();
  readonly events$: Observable<RegistryEvent> = this.subject.asObservable();
  private readonly resyncs = new Subject<void>();
  /** Events from other replicas may have been missed (Redis was away): caches should forget everything. */
  readonly resync$: Observable<void> = this.resyncs.asObservable();
  private readonly unsubscribe: (() => void)[];

  constructor(@Optional() @Inject(CLUSTER_EVENTS) private readonly cluster: ClusterEvents = new InProcessClusterEvents()) {
    this.unsubscribe = [
      cluster.subscribe(TOPIC, (payload) => {
        const event = fromPayload(payload);
        if (event) this.subject.next(event);
      }),
      cluster.onResync(() => this.resyncs.next()),
    ];
  }

  emit(event: RegistryEvent): void {
    this.subject.next(event);
    this.cluster.publish(TOPIC, { type: event.type, modelName: event.modelName, version: event.version ?? null });
  }

  onModuleDestroy(): void {
    for (const off of this.unsubscribe) off();
  }
}

function fromPayload(p: ClusterPayload): RegistryEvent | undefined {
  if (typeof p.type !== 'string' || !TYPES.has(p.type) || typeof p.modelName !== 'string') return undefined;
  return {
    type: p.type as RegistryEvent['type'],
    modelName: p.modelName,
    ...(typeof p.version === 'number' ? { version: p.version } : {}),
  };
}
