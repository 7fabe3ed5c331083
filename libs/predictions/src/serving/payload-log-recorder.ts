import { Inject, Injectable } from '@nestjs/common';
import type { Logger as PinoInstance } from 'pino';
import { Actor, InjectConfig, ROOT_LOGGER } from '@app/common';
import { databaseConfig, type DatabaseConfig, ScheduledJobs, WriteBehindRecorder } from '@app/database';
import type { ServableVersion } from '@app/models';
import { servingConfig, type ServingConfig } from '../serving.config';
import { NewPredictionLog, PredictionLogsRepository } from './prediction-logs.repository';

/** Stored payloads waiting for their write; beyond it new ones are dropped (with a warning). */
const MAX_BUFFERED_PAYLOADS = 10_000;

/**
 * Request/response pairs of models that opted in (`logPayloads`), written in batches off the
 * request path as the usage ledger is (scheduled job `predictions.flush-payloads`).
 */
@Injectable()
export class PayloadLogRecorder extends WriteBehindRecorder<NewPredictionLog> {
  constructor(
    logs: PredictionLogsRepository,
    @InjectConfig(servingConfig) config: ServingConfig,
    @Inject(ROOT_LOGGER) logger: PinoInstance,
    jobs: ScheduledJobs,
    @InjectConfig(databaseConfig) database: Pick<DatabaseConfig, 'url'>,
  ) {
    super(jobs, logger, {
      what: 'prediction payloads',
      job: 'predictions.flush-payloads',
      intervalMs: config.usageFlushIntervalMs,
      maxBatch: config.usageFlushMaxBatch,
      maxBuffered: MAX_BUFFERED_PAYLOADS,
      database,
      write: (batch) => logs.insertBatch(batch),
      onDropped: () => logger.warn('prediction payload not stored: too many waiting for the database'),
    });
  }

  /** Never blocks or fails the prediction. */
  record(version: ServableVersion, actor: Actor, input: unknown, output: unknown, retentionDays: number): void {
    this.push({
      modelId: version.modelId,
      version: version.version,
      requestId: actor.requestId,
      callerId: actor.caller.id,
      input,
      output,
      expiresAt: new Date(Date.now() + retentionDays * 86_400_000),
    });
  }
}
