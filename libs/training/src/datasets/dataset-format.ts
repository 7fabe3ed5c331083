import { DomainError } from '@app/common';

/** A column's type, set by its first value (see readDataset). */
export type ColumnType = 'number' | 'string' | 'boolean';

export interface DatasetColumn {
  name: string;
  type: ColumnType;
  /** Distinct non-empty values, counted up to DISTINCT_CAP + 1 (so a value above the cap means "more"). */
  distinct?: number;
  /** Empty cells (CSV) and nulls (JSON lines): missing values. Absent in datasets stored before they were allowed (none). */
  missing?: number;
  /** Number columns: whether every value is an integer (integer classes can be a classification target). */
  integer?: boolean;
}

/** Distinct values are counted up to this (the most classes a classifier may have). */
export const DISTINCT_CAP = 1000;

export type DatasetFormat = 'csv' | 'jsonl';

/** `null`: a missing value (an empty CSV cell, a JSON null). */
export type CellValue = number | string | boolean | null;

/** Where a malformed dataset goes wrong: 1-based physical line and the column (name or 1-based position). */
export interface DatasetErrorLocation {
  line?: number;
  column?: string;
}

/** The dataset file cannot be used (HTTP 422); the message and `line`/`column` say where and why. */
export class MalformedDatasetError extends DomainError {
  constructor(
    readonly reason: MalformedDatasetReason,
    message: string,
    readonly location: DatasetErrorLocation = {},
  ) {
    const where = [
      location.line !== undefined ? `line ${location.line}` : '',
      location.column !== undefined ? `column '${location.column}'` : '',
    ]
      .filter(Boolean)
      .join(', ');
    super('unprocessable', 'DATASET_MALFORMED', where ? `${where}: ${message}` : message, {
      extensions: {
        reason,
        ...(location.line !== undefined ? { line: location.line } : {}),
        ...(location.column !== undefined ? { column: location.column } : {}),
      },
      errors: [{ field: 'file', message: where ? `${where}: ${message}` : message }],
    });
  }
}

export type MalformedDatasetReason =
  | 'empty-file'
  | 'bad-encoding'
  | 'missing-header'
  | 'bad-header'
  | 'ragged-row'
  | 'type-mismatch'
  | 'empty-value'
  | 'bad-csv'
  | 'bad-json'
  | 'no-rows'
  | 'too-many-columns'
  | 'field-too-large'
  | 'record-too-large'
  | 'reserved-column-name';
