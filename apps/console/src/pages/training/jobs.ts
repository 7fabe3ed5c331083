import { type EpochRecordDto, isModelGateError, type TrainingJobDto, type TrainingProgress } from '@modelgate/sdk';

export type JobStatus = TrainingJobDto['status'];

/**
 * Query keys of the area (TanStack Query), so that every page invalidates the same ones. One item's
 * key is not under its list's: invalidating the lists must not refetch a dataset just deleted.
 */
export const keys = {
  datasets: ['datasets'] as const,
  dataset: (id: string) => ['dataset', id] as const,
  jobs: ['training-jobs'] as const,
  job: (id: string) => ['training-job', id] as const,
};

export function isActive(status: JobStatus): boolean {
  return status === 'queued' || status === 'running';
}

/** The epochs of one run of a job, in order: the job's history, then its live `progress` events. */
export interface EpochLog {
  /** The run these epochs belong to (a job whose worker died is run again, from epoch 1). */
  attempt: number;
  records: EpochRecordDto[];
}

export function logFromJob(job: TrainingJobDto): EpochLog {
  return { attempt: Math.max(1, job.attempts), records: [...job.history].sort((a, b) => a.epoch - b.epoch) };
}

/**
 * Adds one `progress` event: a later attempt starts the log over; an epoch already known (a stream
 * joined late replays the epochs the history already has) replaces its record.
 */
export function addProgress(log: EpochLog, event: TrainingProgress): EpochLog {
  if (event.attempt < log.attempt) return log;
  const { attempt, epochs: _epochs, ...record } = event;
  const base = event.attempt > log.attempt ? [] : log.records.filter((r) => r.epoch !== record.epoch);
  return { attempt, records: [...base, record].sort((a, b) => a.epoch - b.epoch) };
}

/** Parses "16, 8" (or "16 8"); empty means no hidden layer. Undefined when a unit count is not a positive integer. */
export function parseLayers(text: string): number[] | undefined {
  const parts = text
    .split(/[\s,]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  if (!parts.every((p) => /^\d+$/.test(p) && Number(p) >= 1)) return undefined;
  return parts.map(Number);
}

/** The form field a server validation error (`errors[].field`, a dotted path) is about, by the form's field names. */
export function formFieldOf(path: string): string {
  const head = path.replace(/\[\d+\]/g, '');
  const last = head.split('.').pop() ?? head;
  return last;
}

/**
 * A 400/422's `errors[]`, keyed by form field (several messages joined), and those the form has no
 * field for: shown beside their fields and in the notice respectively.
 */
export function fieldErrors(error: unknown, fields: readonly string[]): { byField: Record<string, string>; other: string[] } {
  const byField: Record<string, string> = {};
  const other: string[] = [];
  if (!isModelGateError(error) || !error.errors) return { byField, other };
  for (const e of error.errors) {
    const field = formFieldOf(e.field);
    if (fields.includes(field)) byField[field] = byField[field] ? `${byField[field]}; ${e.message}` : e.message;
    else other.push(e.field === 'body' ? e.message : `${e.field}: ${e.message}`);
  }
  return { byField, other };
}

/** A metric for people: 4 significant digits, integers as they are. */
export function formatMetric(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'number') return value === null || value === undefined ? '—' : JSON.stringify(value);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

export type CurveKey = Exclude<keyof EpochRecordDto, 'epoch' | 'durationMs'>;

export interface Curve {
  key: CurveKey;
  label: string;
}

/** The charts of a task: loss, then accuracy (classification) or MAE (regression); each with its training and validation curve. */
export function chartsFor(task: TrainingJobDto['task']): { title: string; train: Curve; validation: Curve }[] {
  return [
    { title: 'Loss', train: { key: 'loss', label: 'loss' }, validation: { key: 'valLoss', label: 'validation loss' } },
    task === 'classification'
      ? {
          title: 'Accuracy',
          train: { key: 'accuracy', label: 'accuracy' },
          validation: { key: 'valAccuracy', label: 'validation accuracy' },
        }
      : { title: 'Mean absolute error', train: { key: 'mae', label: 'MAE' }, validation: { key: 'valMae', label: 'validation MAE' } },
  ];
}
