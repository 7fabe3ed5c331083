export * from './predictions.module';
export * from './entities';
export { PredictionService, modelKey } from './serving/prediction.service';
export type { PredictResponse } from './serving/prediction.service';
export { UsageRecorder } from './usage/usage-recorder';
export { routesToCanary, canaryBucket } from './routing/canary';
export { ServingWarmup } from './serving/serving-warmup';
