import { createRootLogger } from '@app/common';
import { claimEmbeddedDatabase } from '@app/database';
import { InferenceEngineHealth } from '@app/inference';
import { loadApiConfig } from './api-config';
import { createApp, listen } from './create-app';
import { installGracefulShutdown } from './graceful-shutdown';

async function main(): Promise<void> {
  const config = loadApiConfig();
  // One process at a time on the embedded database: a second one (another API, the CLI) stops here.
  claimEmbeddedDatabase(config.database);
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
  await listen(app, config, logger);
}

main().catch((error: unknown) => {
  // Config errors name the variable, a busy embedded database its owner; anything else is a start-up failure worth its stack.
  const explained = error instanceof Error && ['ConfigValidationError', 'EmbeddedDatabaseInUseError'].includes(error.name);
  console.error(error instanceof Error ? (explained ? error.message : error.stack) : error);
  process.exit(1);
});
