import type { Server } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger as PinoInstance } from 'pino';

export interface GracefulShutdownOptions {
  /** The whole shutdown, drain included, must fit in this (SHUTDOWN_TIMEOUT_MS). */
  timeoutMs: number;
  logger: PinoInstance;
  exit?: (code: number) => void;
}

/**
 * SIGTERM/SIGINT without losing work. Nest's own shutdown runs the modules' destroy hooks while the
 * server still takes requests (the batcher would refuse them), so the HTTP side is drained first:
 *
 * 1. stop accepting connections; idle keep-alive connections are closed (Node's server.close);
 * 2. requests in flight (and the inference batches they wait on) finish; each response says
 *    `Connection: close`, so a client's keep-alive connection ends after its answer;
 * 3. then the application closes: usage events and API-key last-use times are flushed, then the
 *    database pools, Redis and worker threads are closed (the modules' shutdown hooks);
 * 4. exit 0; exit 1 if any of it did not finish within `timeoutMs`.
 *
 * The drain gets two thirds of the budget, so that what it let finish can still be written.
 */
/** Starts the same shutdown as a signal would; `exitCode` is the code of a shutdown that finished in time. */
export type ShutdownTrigger = (reason: string, exitCode: number) => void;

export function installGracefulShutdown(app: NestFastifyApplication, options: GracefulShutdownOptions): ShutdownTrigger {
  const { logger, timeoutMs } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const server = app.getHttpServer() as Server;
  let draining = false;

  server.prependListener('request', (_req, res) => {
    if (draining) res.setHeader('Connection', 'close');
  });

  const shutdown = async (signal: string, exitCode = 0) => {
    if (draining) return;
    draining = true;
    const started = Date.now();
    logger.info({ signal, timeoutMs }, 'shutting down: draining in-flight requests');
    const hardDeadline = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown did not finish in time; exiting');
      exit(1);
    }, timeoutMs);
    hardDeadline.unref();

    const drained = await closeServer(server, Math.floor((timeoutMs * 2) / 3));
    if (!drained) logger.warn('requests still in flight at the drain deadline were cut');
    logger.info({ ms: Date.now() - started }, 'HTTP drained; closing the application');
    try {
      await app.close();
    } catch (error) {
      logger.error({ err: error }, 'error while closing the application');
      clearTimeout(hardDeadline);
      exit(1);
      return;
    }
    clearTimeout(hardDeadline);
    logger.info({ ms: Date.now() - started }, 'shut down');
    exit(exitCode);
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, (s) => void shutdown(s));
  return (reason, exitCode) => void shutdown(reason, exitCode);
}

/** Resolves true once every connection has ended, false if some had to be cut at the deadline. */
function closeServer(server: Server, deadlineMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve(false);
    }, deadlineMs);
    timer.unref();
    // Node closes idle keep-alive connections here; busy ones end after their response.
    server.close(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
