import { Logger, Provider } from '@nestjs/common';
import { APP_CONFIG, AppConfig, RedisConnections } from '@app/common';
import { InMemoryTrainingEventBus } from './in-memory-event-bus';
import { RedisTrainingEventBus } from './redis-event-bus';
import { TRAINING_EVENT_BUS, TrainingEventBus } from './training-events';

/** The one place the event bus is chosen: Redis pub/sub with REDIS_URL (jobs run in other processes), else in-process. */
export const trainingEventBusProvider: Provider = {
  provide: TRAINING_EVENT_BUS,
  inject: [APP_CONFIG, RedisConnections],
  useFactory: async (config: AppConfig, redis: RedisConnections): Promise<TrainingEventBus> => {
    if (!redis.configured) return new InMemoryTrainingEventBus();
    const logger = new Logger('TrainingEventBus');
    // Publishes wait for Redis rather than being dropped; the channel is under TRAINING_QUEUE_PREFIX, as BullMQ's keys.
    const publisher = redis.create('blocking', 'training-events publisher');
    const subscriber = redis.create('subscriber', 'training-events subscriber');
    const bus = new RedisTrainingEventBus(publisher, subscriber, config.training.queuePrefix, (error) =>
      logger.warn(`unreadable training event: ${(error as Error).message}`),
    );
    // Redis down at start-up must not keep the API from serving predictions: wait briefly for the
    // subscription, then carry on; ioredis subscribes as soon as Redis answers.
    const subscribed = bus.start().then(() => true);
    const timeout = new Promise<false>((resolve) => setTimeout(resolve, 2_000, false).unref());
    if (!(await Promise.race([subscribed, timeout]))) {
      logger.warn('Redis is not reachable: training events will flow once it is');
      void subscribed.then(
        () => logger.log('training events subscribed'),
        () => undefined,
      );
    }
    return bus;
  },
};
