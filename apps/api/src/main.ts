import { createRootLogger, loadConfig } from '@app/common';
import { createApp } from './create-app';
import { installGracefulShutdown } from './graceful-shutdown';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createRootLogger(config);
  const app = await createApp(config, { logger });
  installGracefulShutdown(app, { timeoutMs: config.http.shutdownTimeoutMs, logger });
  await app.listen({ port: config.http.port, host: config.http.host });
}

main().catch((error: unknown) => {
  // Config errors name the variable; anything else is a start-up failure worth its stack.
  console.error(error instanceof Error ? (error.name === 'ConfigValidationError' ? error.message : error.stack) : error);
  process.exit(1);
});
