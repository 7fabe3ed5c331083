import { defineConfig, type ConfigOf } from './config-slice';
import { sharedVariables } from './variables';

/** What every process needs to know about how it runs. */
export const runtimeConfig = defineConfig({
  key: 'runtime',
  variables: { NODE_ENV: sharedVariables.NODE_ENV, SHUTDOWN_TIMEOUT_MS: sharedVariables.SHUTDOWN_TIMEOUT_MS },
  build: (e) => ({
    env: e.NODE_ENV,
    /** On SIGTERM, how long in-flight requests, batches and training runs may take before the process exits. */
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  }),
});
export type RuntimeConfig = ConfigOf<typeof runtimeConfig>;
