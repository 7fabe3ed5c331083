import { Module } from '@nestjs/common';
import type { Logger as PinoInstance } from 'pino';
import { MetricsRegistry, ROOT_LOGGER } from '@app/common';
import { inferenceConfig, type InferenceConfig } from './inference.config';
import { selectTfBackend, TfBackendSelection } from './backend/tf-backend';
import { DynamicBatcher } from './batching/dynamic-batcher';
import { ModelCache } from './cache/model-cache';
import { InferenceEngineHealth } from './engine/engine-health';
import { ArtifactInspector, INSPECTION_OPTIONS, InspectionOptions } from './isolation/artifact-inspector';
import { ModelLimits } from './limits/model-limits';
import { InferenceMetrics } from './metrics/inference-metrics';
import { InferenceRuntime, MODEL_LIMITS, TF_BACKEND_SELECTION } from './runtime/inference-runtime';
import { InProcessServingRuntime, ServingRuntime } from './engine/serving-runtime';
import { InferencePool } from './pool/inference-pool';

/**
 * The TensorFlow.js runtime, the model cache and the dynamic batcher; no HTTP. The backend is
 * chosen (and logged) once while the application starts, before any provider can load a model.
 */
@Module({
  providers: [
    {
      provide: TF_BACKEND_SELECTION,
      inject: [inferenceConfig.token, ROOT_LOGGER],
      useFactory: (config: InferenceConfig, logger: PinoInstance) =>
        selectTfBackend(config.backend, { logger: logger.child({ component: 'inference' }) }),
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
    { provide: MODEL_LIMITS, inject: [inferenceConfig.token], useFactory: (config: InferenceConfig): ModelLimits => config.limits },
    {
      provide: INSPECTION_OPTIONS,
      inject: [inferenceConfig.token],
      useFactory: (config: InferenceConfig): InspectionOptions => ({ ...config.inspection, maxWaiting: 16 }),
    },
    {
      provide: InferenceEngineHealth,
      inject: [InferenceMetrics, ROOT_LOGGER],
      useFactory: (metrics: InferenceMetrics, logger: PinoInstance) =>
        new InferenceEngineHealth(logger.child({ component: 'inference' }), () => metrics.engineFailed()),
    },
    InferenceRuntime,
    {
      // The one place that chooses where serving's models run (INFERENCE_THREADS).
      provide: ServingRuntime,
      inject: [inferenceConfig.token, InferenceRuntime, TF_BACKEND_SELECTION, ROOT_LOGGER, InferenceMetrics],
      useFactory: (
        config: InferenceConfig,
        runtime: InferenceRuntime,
        selection: TfBackendSelection,
        logger: PinoInstance,
        metrics: InferenceMetrics,
      ) =>
        config.threads > 0
          ? new InferencePool(
              {
                threads: config.threads,
                backend: selection.backend,
                limits: config.limits,
                smallModels: { below: config.poolMinParameters, runtime: new InProcessServingRuntime(runtime) },
              },
              logger.child({ component: 'inference-pool' }),
              metrics,
            )
          : new InProcessServingRuntime(runtime),
    },
    ArtifactInspector,
    {
      provide: ModelCache,
      inject: [inferenceConfig.token, InferenceMetrics, ROOT_LOGGER],
      useFactory: (config: InferenceConfig, metrics: InferenceMetrics, logger: PinoInstance) =>
        new ModelCache(config.cache, metrics, logger.child({ component: 'model-cache' })),
    },
    {
      provide: DynamicBatcher,
      inject: [inferenceConfig.token, InferenceMetrics],
      useFactory: (config: InferenceConfig, metrics: InferenceMetrics) =>
        new DynamicBatcher(
          {
            maxBatchRows: config.batching.maxRows,
            maxDelayMs: config.batching.maxDelayMs,
            maxBatchMs: config.batching.maxComputeMs,
            maxQueueRows: config.batching.maxQueueRows,
          },
          metrics,
        ),
    },
  ],
  exports: [
    TF_BACKEND_SELECTION,
    MODEL_LIMITS,
    InferenceRuntime,
    ServingRuntime,
    InferenceEngineHealth,
    ArtifactInspector,
    InferenceMetrics,
    ModelCache,
    DynamicBatcher,
  ],
})
export class InferenceModule {}
