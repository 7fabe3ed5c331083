import type { PredictionLogEntity } from '../entities/prediction-log.entity';

/** A stored request/response pair; the table assigns the id and the time. */
export type NewPredictionLog = Pick<PredictionLogEntity, 'modelId' | 'version' | 'requestId' | 'callerId' | 'expiresAt'> & {
  input: unknown;
  output: unknown;
};

/** prediction_logs, the payloads of models that opted in (DI token; bound in PredictionsModule). */
export abstract class PredictionLogsRepository {
  /** One statement for the batch. */
  abstract insertBatch(logs: readonly NewPredictionLog[]): Promise<void>;
  /** Deletes every log whose `expiresAt` is before `now`; answers how many went. */
  abstract deleteExpired(now: Date): Promise<number>;
}
