import { createRootLogger } from '@app/common';
import { InferenceEngineHealth } from '@app/inference';
import { loadApiConfig } from './api-config';
import { createApp } from './create-app';
import { installGracefulShutdown } from './graceful-shutdown';

async function main(): Promise<void> {
  const config = loadApiConfig();
  const logger = createRootLogger(config.log);
  const app = await createApp(config, { logger });
  const shutdown = installGracefulShutdown(app, { timeoutMs: config.runtime.shutdownTimeoutMs, logger });
  // A failed inference engine cannot be repaired in place (its wasm memory may be corrupt): readiness
  // answers 503 at once, so the load balancer drains this replica; then the process exits (code 1)
  // and the orchestrator starts a fresh one.
  app.get(InferenceEngineHealth).onFailure(() => {
    const delayMs = config.inference.failureExitDelayMs;
    logger.error({ delayMs }, 'inference engine failed: shutting down to be restarted');
    setTimeout(() => shutdown('inference-engine-failure', 1), delayMs).unref();
  });
  await app.listen({ port: config.http.port, host: config.http.host });
}

main().catch((error: unknown) => {
  // Config errors name the variable; anything else is a start-up failure worth its stack.
  console.error(error instanceof Error ? (error.name === 'ConfigValidationError' ? error.message : error.stack) : error);
  process.exit(1);
});
