import type { TfBackendPreference } from '@app/inference';
import type { DatasetFormat } from '../datasets/dataset-format';
import type { StopReason, TrainingResult } from '../trainer/trainer';
import type { EpochRecord, TrainingSpec } from '../trainer/training-spec';

/** What a training thread is started with (its workerData). */
export interface TrainingThreadInput {
  kind: 'modelgate-training';
  spec: TrainingSpec;
  dataset: { format: DatasetFormat; bytes: Uint8Array };
  backend: TfBackendPreference;
  /**
   * One Int32 the owner writes and the thread reads between batches (Atomics): stopping needs no
   * message round trip, so it works even while the thread is busy computing.
   */
  control: SharedArrayBuffer;
}

export const CONTROL = { run: 0, cancel: 1, shutdown: 2 } as const;
export const STOP_REASONS: Record<number, StopReason | undefined> = { [CONTROL.cancel]: 'cancel', [CONTROL.shutdown]: 'shutdown' };

/** What a training thread posts back. */
export type TrainingThreadMessage =
  | { type: 'started'; backend: string }
  | { type: 'epoch'; record: EpochRecord; epochs: number }
  | { type: 'result'; result: TrainingResult }
  | { type: 'failed'; message: string; dataError: boolean };
