/**
 * Cache invalidations between the replicas of one deployment. A process applies its own changes to
 * its own caches directly, then publishes them here for the others; subscribers only ever see
 * events from other processes. Delivery is best effort: the database stays the truth and every
 * cache still expires on its own TTL.
 */
export interface ClusterEvents {
  /** This process's identity on the bus (events it published are not delivered back to it). */
  readonly instanceId: string;
  /** Broadcasts to the other replicas; never throws (an undeliverable event is kept and retried, or turned into a resync). */
  publish(topic: string, payload: ClusterPayload): void;
  /** Events other replicas published on `topic`; returns the unsubscribe function. */
  subscribe(topic: string, handler: (payload: ClusterPayload) => void): () => void;
  /**
   * Called when events may have been missed (the subscription was down for a while): holders of
   * caches should drop everything they hold. Returns the unsubscribe function.
   */
  onResync(handler: () => void): () => void;
  /** For readiness: whether events currently reach this process. */
  status(): ClusterEventsStatus;
}

export type ClusterPayload = Record<string, string | number | boolean | null>;

export interface ClusterEventsStatus {
  transport: 'in-process' | 'redis';
  connected: boolean;
}

export const CLUSTER_EVENTS = Symbol('CLUSTER_EVENTS');
