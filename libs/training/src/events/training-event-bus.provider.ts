import { Logger, Provider } from '@nestjs/common';
import { CLUSTER_EVENTS, ClusterEvents } from '@app/common';
import { ClusterTrainingEventBus } from './cluster-training-event-bus';
import { TRAINING_EVENT_BUS } from './training-events';

/** Training events travel on the replicas' one pub/sub port (ClusterEvents, chosen by REDIS_URL in ClusterModule). */
export const trainingEventBusProvider: Provider = {
  provide: TRAINING_EVENT_BUS,
  inject: [CLUSTER_EVENTS],
  useFactory: (cluster: ClusterEvents) => {
    const logger = new Logger('TrainingEventBus');
    return new ClusterTrainingEventBus(cluster, (error) => logger.warn(`unreadable training event: ${(error as Error).message}`));
  },
};
