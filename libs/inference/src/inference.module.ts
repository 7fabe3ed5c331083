import { Module } from '@nestjs/common';
import type { Logger as PinoInstance } from 'pino';
import { APP_CONFIG, AppConfig, MetricsRegistry, ROOT_LOGGER } from '@app/common';
import { selectTfBackend, TfBackendSelection } from './backend/tf-backend';
import { DynamicBatcher } from './batching/dynamic-batcher';
import { ModelCache } from './cache/model-cache';
import { InferenceEngineHealth } from './engine/engine-health';
import { ArtifactInspector, INSPECTION_OPTIONS, InspectionOptions } from './isolation/artifact-inspector';
import { ModelLimits } from './limits/model-limits';
import { InferenceMetrics } from './metrics/inference-metrics';
import { InferenceRuntime, MODEL_LIMITS, TF_BACKEND_SELECTION } from './runtime/inference-runtime';

/**
 * The TensorFlow.js runtime, the model cache and the dynamic batcher; no HTTP. The backend is
 * chosen (and logged) once while the application starts, before any provider can load a model.
 */
@Module({
  providers: [
    {
      provide: TF_BACKEND_SELECTION,
      inject: [APP_CONFIG, ROOT_LOGGER],
      useFactory: (config: AppConfig, logger: PinoInstance) =>
        selectTfBackend(config.inference.backend, { logger: logger.child({ component: 'inference' }) }),
    },
    {
      provide: InferenceMetrics,
      inject: [MetricsRegistry, TF_BACKEND_SELECTION],
      useFactory: (registry: MetricsRegistry, selection: TfBackendSelection) => {
        const metrics = new InferenceMetrics(registry);
        metrics.setBackend(selection.backend);
        return metrics;
      },
    },
    { provide: MODEL_LIMITS, inject: [APP_CONFIG], useFactory: (config: AppConfig): ModelLimits => config.inference.limits },
    {
      provide: INSPECTION_OPTIONS,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): InspectionOptions => ({ ...config.inference.inspection, maxWaiting: 16 }),
    },
    {
      provide: InferenceEngineHealth,
      inject: [InferenceMetrics, ROOT_LOGGER],
      useFactory: (metrics: InferenceMetrics, logger: PinoInstance) =>
        new InferenceEngineHealth(logger.child({ component: 'inference' }), () => metrics.engineFailed()),
    },
    InferenceRuntime,
    ArtifactInspector,
    {
      provide: ModelCache,
      inject: [APP_CONFIG, InferenceMetrics, ROOT_LOGGER],
      useFactory: (config: AppConfig, metrics: InferenceMetrics, logger: PinoInstance) =>
        new ModelCache(config.inference.cache, metrics, logger.child({ component: 'model-cache' })),
    },
    {
      provide: DynamicBatcher,
      inject: [APP_CONFIG, InferenceMetrics],
      useFactory: (config: AppConfig, metrics: InferenceMetrics) =>
        new DynamicBatcher(
          {
            maxBatchRows: config.inference.batching.maxRows,
            maxDelayMs: config.inference.batching.maxDelayMs,
            maxQueueRows: config.inference.batching.maxQueueRows,
          },
          metrics,
        ),
    },
  ],
  exports: [
    TF_BACKEND_SELECTION,
    MODEL_LIMITS,
    InferenceRuntime,
    InferenceEngineHealth,
    ArtifactInspector,
    InferenceMetrics,
    ModelCache,
    DynamicBatcher,
  ],
})
export class InferenceModule {}
