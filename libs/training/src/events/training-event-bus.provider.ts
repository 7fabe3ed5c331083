import { Logger, Provider } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, AppConfig } from '@app/common';
import { InMemoryTrainingEventBus } from './in-memory-event-bus';
import { RedisTrainingEventBus } from './redis-event-bus';
import { TRAINING_EVENT_BUS, TrainingEventBus } from './training-events';

/** The one place the event bus is chosen: Redis pub/sub with REDIS_URL (jobs run in other processes), else in-process. */
export const trainingEventBusProvider: Provider = {
  provide: TRAINING_EVENT_BUS,
  inject: [APP_CONFIG],
  useFactory: async (config: AppConfig): Promise<TrainingEventBus> => {
    if (!config.redisUrl) return new InMemoryTrainingEventBus();
    const logger = new Logger('TrainingEventBus');
    const connect = () => {
      const client = new Redis(config.redisUrl!, { maxRetriesPerRequest: null });
      client.on('error', (error: Error) => logger.warn(`Redis: ${error.message}`));
      return client;
    };
    const bus = new RedisTrainingEventBus(connect(), connect(), config.training.queuePrefix, (error) =>
      logger.warn(`unreadable training event: ${(error as Error).message}`),
    );
    // Redis down at start-up must not keep the API from serving predictions: wait briefly for the
    // subscription, then carry on; ioredis subscribes as soon as Redis answers.
    const subscribed = bus.start().then(() => true);
    const timeout = new Promise<false>((resolve) => setTimeout(resolve, 2_000, false).unref());
    if (!(await Promise.race([subscribed, timeout]))) {
      logger.warn('Redis is not reachable: training events will flow once it is');
      void subscribed.then(() => logger.log('training events subscribed'), () => undefined);
    }
    return bus;
  },
};
