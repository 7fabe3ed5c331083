import { ClusterEvents, ClusterEventsStatus } from './cluster-events';
import { newInstanceId } from './instance-id';

/** One process, no other replicas: there is nobody to tell, and nothing is ever missed. */
export class InProcessClusterEvents implements ClusterEvents {
  readonly instanceId = newInstanceId();

  publish(): void {}

  subscribe(): () => void {
    return () => undefined;
  }

  onResync(): () => void {
    return () => undefined;
  }

  status(): ClusterEventsStatus {
    return { transport: 'in-process', connected: true };
  }
}
