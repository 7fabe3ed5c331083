import { assertJsonDepth, FieldError, ValidationFailedError } from '@app/common';
import type { ArtifactFiles, TensorSpec } from '@app/inference';

/** The text fields of an upload, as sent (multipart values are strings). */
export interface RawVersionFields {
  description?: string;
  labels?: string;
  metrics?: string;
  params?: string;
}

export interface VersionMetadata {
  description: string | null;
  labels: string[] | null;
  metrics: Record<string, unknown>;
  params: Record<string, unknown>;
}

export const MAX_DESCRIPTION = 2000;
export const MAX_LABELS = 10_000;
export const MAX_LABEL_LENGTH = 200;

/** Nesting allowed in the JSON fields when the caller does not pass JSON_MAX_DEPTH. */
const DEFAULT_MAX_JSON_DEPTH = 64;

/**
 * Parses and checks the optional fields; every problem is reported at once, by field name (400).
 * A field sent empty (or only blanks) is absent: HTML forms and Swagger UI send cleared fields so.
 * `labels` is a JSON array of class names, or the names separated by commas (`red,green,blue`, each
 * trimmed), as a form field is typed. JSON nested deeper than `maxJsonDepth` is refused before it
 * is parsed (400 JSON_TOO_DEEP): stored as jsonb, it would be walked recursively.
 */
export function parseVersionFields(raw: RawVersionFields, maxJsonDepth = DEFAULT_MAX_JSON_DEPTH): VersionMetadata {
  const errors: FieldError[] = [];
  const text = (field: keyof RawVersionFields): string | undefined => (raw[field]?.trim() ? raw[field] : undefined);
  const json = (field: keyof RawVersionFields): unknown => {
    const value = text(field);
    if (value === undefined) return undefined;
    assertJsonDepth(value, maxJsonDepth, field);
    try {
      return JSON.parse(value) as unknown;
    } catch {
      errors.push({ field, message: `${field} must be valid JSON` });
      return undefined;
    }
  };
  const object = (field: 'metrics' | 'params'): Record<string, unknown> => {
    const value = json(field);
    if (value === undefined) return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      errors.push({ field, message: `${field} must be a JSON object` });
      return {};
    }
    return value as Record<string, unknown>;
  };
  const labelList = (): unknown => {
    const value = text('labels');
    if (value === undefined) return undefined;
    // JSON when it looks like JSON (so a broken array is an error, not one odd class name).
    if (/^\s*[[{"]/.test(value)) return json('labels');
    return value.split(',').map((label) => label.trim());
  };

  const description = text('description')?.trim() ?? null;
  if (description && description.length > MAX_DESCRIPTION) {
    errors.push({ field: 'description', message: `description must be at most ${MAX_DESCRIPTION} characters` });
  }
  const labelsValue = labelList();
  const labels = labelsValue === undefined ? null : checkLabels(labelsValue, 'labels', errors);
  const metrics = object('metrics');
  const params = object('params');
  if (errors.length) throw new ValidationFailedError(errors);
  return { description, labels, metrics, params };
}

function checkLabels(value: unknown, field: string, errors: FieldError[]): string[] | null {
  if (!Array.isArray(value)) {
    const alternative = field === 'labels' ? ', or class names separated by commas' : '';
    errors.push({ field, message: `${field} must be a JSON array of class names${alternative}` });
    return null;
  }
  if (value.length === 0 || value.length > MAX_LABELS) {
    errors.push({ field, message: `${field} must hold 1 to ${MAX_LABELS} class names` });
    return null;
  }
  if (!value.every((l) => typeof l === 'string' && l.length > 0 && l.length <= MAX_LABEL_LENGTH)) {
    errors.push({ field, message: `every entry of ${field} must be a non-empty string of at most ${MAX_LABEL_LENGTH} characters` });
    return null;
  }
  return value as string[];
}

/** labels.json shipped inside the artifact (as the fixture generator and many exporters do). */
export function labelsFromArtifact(files: ArtifactFiles): string[] | null {
  const raw = files.get('labels.json');
  if (!raw) return null;
  const errors: FieldError[] = [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ValidationFailedError(
      [{ field: 'labels.json', message: 'labels.json must be valid JSON' }],
      'labels.json is not valid.',
      'unprocessable',
    );
  }
  const labels = checkLabels(parsed, 'labels.json', errors);
  if (errors.length) throw new ValidationFailedError(errors, 'labels.json is not valid.', 'unprocessable');
  return labels;
}

/** Class labels name the model's output classes, so their count must match a single output's width. */
export function checkLabelsAgainstOutputs(labels: string[] | null, outputs: TensorSpec[]): void {
  if (!labels || outputs.length !== 1) return;
  const width = outputs[0].shape[outputs[0].shape.length - 1];
  if (width > 0 && width !== labels.length) {
    throw new ValidationFailedError(
      [{ field: 'labels', message: `labels has ${labels.length} entries but output '${outputs[0].name}' has ${width} classes` }],
      'The labels do not fit the model.',
      'unprocessable',
    );
  }
}
