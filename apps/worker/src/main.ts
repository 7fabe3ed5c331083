import { NestFactory } from '@nestjs/core';
import { createRootLogger, NestLogger } from '@app/common';
import { loadWorkerConfig } from './worker-config';
import { WorkerModule } from './worker.module';

/** Runs queued background work (training jobs) until SIGTERM, then drains and exits. */
async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const rootLogger = createRootLogger(config.log);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, rootLogger), { bufferLogs: true });
  // Nest's module lines at debug, like the API's (libs/common/src/logging/nest-logger.ts).
  app.useLogger(app.get(NestLogger));
  app.enableShutdownHooks();
  await app.init();
  rootLogger.info({ redis: Boolean(config.redis.url) }, 'worker ready');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.name === 'ConfigValidationError' ? error.message : error.stack) : error);
  process.exit(1);
});
