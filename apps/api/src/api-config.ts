import {
  composeConfig,
  type ComposedConfig,
  type ConfigEnv,
  type ConfigInput,
  httpConfig,
  logConfig,
  redisConfig,
  runtimeConfig,
  streamsConfig,
} from '@app/common';
import { authConfig } from '@app/auth';
import { databaseConfig } from '@app/database';
import { inferenceConfig } from '@app/inference';
import { registryConfig } from '@app/models';
import { metricsConfig, tracingConfig } from '@app/observability';
import { servingConfig } from '@app/predictions';
import { trainingConfig } from '@app/training';
import { webhooksConfig } from '@app/webhooks';
import { monitoringConfig } from '@app/monitoring';

/**
 * The API's configuration: every area's slice, validated together once at start-up (a bad value
 * anywhere stops the process naming the variable). Each lib receives only its own slice.
 */
export const API_CONFIG_SLICES = [
  runtimeConfig,
  logConfig,
  httpConfig,
  streamsConfig,
  redisConfig,
  databaseConfig,
  authConfig,
  metricsConfig,
  tracingConfig,
  inferenceConfig,
  registryConfig,
  servingConfig,
  trainingConfig,
  webhooksConfig,
  monitoringConfig,
] as const;

export type ApiConfig = ComposedConfig<typeof API_CONFIG_SLICES>;
/** Variables the API reads, by name (test overrides are checked against it). */
export type ApiConfigInput = ConfigInput<typeof API_CONFIG_SLICES>;

/** Reads the environment (and .env) unless given one. */
export function loadApiConfig(env?: ConfigEnv): ApiConfig {
  return composeConfig(API_CONFIG_SLICES, env);
}
