import { Injectable } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';

export interface RegistryEvent {
  type: 'model' | 'version' | 'alias' | 'traffic';
  modelName: string;
  version?: number;
}

/**
 * In-process notifications of registry writes, emitted after the transaction commits, so caches
 * (the serving layer's resolved versions and loaded models) can drop what they hold for a model.
 * A multi-replica deployment still relies on cache TTLs across processes.
 */
@Injectable()
export class RegistryEvents {
  private readonly subject = new Subject<RegistryEvent>();
  readonly events$: Observable<RegistryEvent> = this.subject.asObservable();

  emit(event: RegistryEvent): void {
    this.subject.next(event);
  }
}
