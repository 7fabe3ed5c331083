import { Global, Logger, Module } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { CLUSTER_EVENTS, ClusterEvents } from './cluster-events';
import { DegradedDependencies } from './degraded-dependencies';
import { InProcessClusterEvents } from './in-process-cluster-events';
import { RedisClusterEvents } from './redis-cluster-events';
import { redisOptions } from './redis-options';

const START_WAIT_MS = 3_000;

/**
 * What replicas share besides the database. The one place the cluster-events transport is chosen:
 * Redis pub/sub with REDIS_URL, else nothing to share (one process).
 */
@Global()
@Module({
  providers: [
    DegradedDependencies,
    {
      provide: CLUSTER_EVENTS,
      inject: [APP_CONFIG, DegradedDependencies],
      useFactory: async (config: AppConfig, degraded: DegradedDependencies): Promise<ClusterEvents> => {
        if (!config.redisUrl) return new InProcessClusterEvents();
        const logger = new Logger('ClusterEvents');
        const quiet = (client: Redis) => client.on('error', (error: Error) => logger.debug?.(`Redis: ${error.message}`));
        const bus = new RedisClusterEvents(
          quiet(new Redis(config.redisUrl, redisOptions.failFast)),
          quiet(new Redis(config.redisUrl, redisOptions.subscriber)),
          config.redisKeyPrefix,
        );
        degraded.register('clusterEvents', () => ({ status: bus.status().connected ? 'up' : 'down', transport: 'redis' }));
        // Redis being away at start-up must not stop the API from serving: the subscription completes when it returns.
        const started = bus.start().catch(() => undefined);
        await Promise.race([started, new Promise((r) => setTimeout(r, START_WAIT_MS).unref())]);
        return bus;
      },
    },
  ],
  exports: [CLUSTER_EVENTS, DegradedDependencies],
})
export class ClusterModule {}
