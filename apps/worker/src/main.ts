import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { createRootLogger, loadConfig } from '@app/common';
import { WorkerModule } from './worker.module';

/** Runs queued background work (training jobs) until SIGTERM, then drains and exits. */
async function main(): Promise<void> {
  const config = loadConfig();
  const rootLogger = createRootLogger(config);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, rootLogger), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
  rootLogger.info({ redis: Boolean(config.redisUrl) }, 'worker ready');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.name === 'ConfigValidationError' ? error.message : error.stack) : error);
  process.exit(1);
});
