import { Global, Module } from '@nestjs/common';
import { RedisConnections } from '../redis/redis-connections';
import { CLUSTER_EVENTS, ClusterEvents } from './cluster-events';
import { DegradedDependencies } from './degraded-dependencies';
import { InProcessClusterEvents } from './in-process-cluster-events';
import { RedisClusterEvents } from './redis-cluster-events';

const START_WAIT_MS = 3_000;

/**
 * What replicas share besides the database. The one place the cluster-events transport is chosen:
 * Redis pub/sub with REDIS_URL, else nothing to share (one process). Also provides
 * `RedisConnections`, the one factory of Redis connections (global: every lib gets it here).
 *
 * Shutdown order matters: RedisConnections quits its connections in onApplicationShutdown, and
 * global modules run that hook last, in reverse order of discovery. Apps import this module before
 * TrainingModule, so BullMQ (whose global module closes workers on that hook) is done first.
 */
@Global()
@Module({
  providers: [
    DegradedDependencies,
    {
      provide: CLUSTER_EVENTS,
      inject: [RedisConnections, DegradedDependencies],
      useFactory: async (redis: RedisConnections, degraded: DegradedDependencies): Promise<ClusterEvents> => {
        if (!redis.configured) return new InProcessClusterEvents();
        const bus = new RedisClusterEvents(
          redis.create('failFast', 'cluster-events publisher'),
          redis.create('subscriber', 'cluster-events subscriber'),
          redis.keyPrefix,
        );
        degraded.register('clusterEvents', () => ({ status: bus.status().connected ? 'up' : 'down', transport: 'redis' }));
        // Redis being away at start-up must not stop the API from serving: the subscription completes when it returns.
        const started = bus.start().catch(() => undefined);
        await Promise.race([started, new Promise((r) => setTimeout(r, START_WAIT_MS).unref())]);
        return bus;
      },
    },
    // Nest shuts a module's dependents down before their dependencies: the bus is closed before its connections quit.
    RedisConnections,
  ],
  exports: [CLUSTER_EVENTS, DegradedDependencies, RedisConnections],
})
export class ClusterModule {}
