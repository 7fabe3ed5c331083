import { composeConfig, type ComposedConfig, type ConfigEnv, httpConfig, logConfig, redisConfig, runtimeConfig } from '@app/common';
import { databaseConfig } from '@app/database';
import { inferenceConfig } from '@app/inference';
import { registryConfig } from '@app/models';
import { tracingConfig } from '@app/observability';
import { trainingConfig } from '@app/training';

/**
 * The worker's configuration: only the areas whose code it runs. Training registers versions through
 * the registry, which parses upload fields under the HTTP slice's JSON depth limit.
 */
export const WORKER_CONFIG_SLICES = [
  runtimeConfig,
  logConfig,
  tracingConfig,
  httpConfig,
  redisConfig,
  databaseConfig,
  inferenceConfig,
  registryConfig,
  trainingConfig,
] as const;

export type WorkerConfig = ComposedConfig<typeof WORKER_CONFIG_SLICES>;

export function loadWorkerConfig(env?: ConfigEnv): WorkerConfig {
  return composeConfig(WORKER_CONFIG_SLICES, env);
}
