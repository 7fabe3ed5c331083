import type { FieldError } from '@app/common';

/**
 * How a version trained on a table turns a row of raw feature values into the numbers its model
 * takes: learned on the training split, stored with the version (`params.preprocessing.encoding`),
 * applied by serving to every row, so that callers send what the table held ("red", `null`, 41)
 * and never one-hot vectors.
 *
 * The model's single input is laid out in blocks, in this order:
 * - the numeric features, one column each (the model standardises this block itself);
 * - a 0/1 missing indicator per numeric feature that has one;
 * - each one-hot category feature: one column per vocabulary entry, then MISSING, then OUT_OF_VOCABULARY;
 * - each embedded category feature: the same one-hot block, which the model projects to a few
 *   dimensions with a bias-free dense layer (an embedding lookup, as a matrix product).
 * A missing number takes the training split's median; a missing category is its own MISSING slot,
 * and a value the training split never showed (or one past the vocabulary cap) is OUT_OF_VOCABULARY.
 */
export interface NumberFeatureEncoding {
  name: string;
  type: 'number';
  /** What a missing value becomes: the training split's median. */
  fill: number;
  /** Whether a 0/1 "was missing" column goes with it. */
  indicator: boolean;
}

export interface CategoryFeatureEncoding {
  name: string;
  type: 'string' | 'boolean';
  /** Values with a slot of their own, most frequent in the training split first (ties: in text order). */
  vocabulary: string[];
  encoding: 'one-hot' | 'embedding';
  /** Output dimensions of the embedding. */
  embeddingDim?: number;
}

export type FeatureEncodingEntry = NumberFeatureEncoding | CategoryFeatureEncoding;

export interface FeatureEncoding {
  features: FeatureEncodingEntry[];
}

export const MISSING_CATEGORY = '<missing>';
export const OUT_OF_VOCABULARY = '<other>';

/** A contiguous run of the model input's columns. */
export interface InputBlock {
  start: number;
  width: number;
}

export interface EncodingLayout {
  width: number;
  /** The numeric features (standardised by the model). */
  numeric: InputBlock;
  /** Missing indicators and one-hot categories (taken as they are). */
  passthrough: InputBlock;
  /** One block per embedded category feature. */
  embedded: (InputBlock & { name: string; dim: number })[];
  /** A name per input column: `age`, `age (missing)`, `colour=red`, `colour=<missing>`, `colour=<other>`. */
  columns: string[];
}

export function layoutOf(encoding: FeatureEncoding): EncodingLayout {
  const numbers = encoding.features.filter((f): f is NumberFeatureEncoding => f.type === 'number');
  const categories = encoding.features.filter((f): f is CategoryFeatureEncoding => f.type !== 'number');
  const columns: string[] = numbers.map((f) => f.name);
  for (const f of numbers) if (f.indicator) columns.push(`${f.name} (missing)`);
  const slots = (f: CategoryFeatureEncoding) => [...f.vocabulary, MISSING_CATEGORY, OUT_OF_VOCABULARY].map((v) => `${f.name}=${v}`);
  for (const f of categories) if (f.encoding === 'one-hot') columns.push(...slots(f));
  const passthroughEnd = columns.length;
  const embedded: EncodingLayout['embedded'] = [];
  for (const f of categories) {
    if (f.encoding !== 'embedding') continue;
    embedded.push({ name: f.name, start: columns.length, width: f.vocabulary.length + 2, dim: f.embeddingDim ?? 1 });
    columns.push(...slots(f));
  }
  return {
    width: columns.length,
    numeric: { start: 0, width: numbers.length },
    passthrough: { start: numbers.length, width: passthroughEnd - numbers.length },
    embedded,
    columns,
  };
}

/** Whether the encoding is the identity (numbers only, no indicators): such a model takes the raw row as it is. */
export function isPlainEncoding(encoding: FeatureEncoding): boolean {
  return encoding.features.every((f) => f.type === 'number' && !f.indicator);
}

/** The encoding stored in a version's params, if it is one (anything else, or a version trained before encodings: none). */
export function encodingOf(params: Record<string, unknown> | null | undefined): FeatureEncoding | null {
  const preprocessing = params?.preprocessing as { encoding?: unknown } | undefined;
  const encoding = preprocessing?.encoding as FeatureEncoding | undefined;
  if (!encoding || !Array.isArray(encoding.features) || encoding.features.length === 0) return null;
  const valid = encoding.features.every(
    (f) =>
      typeof f?.name === 'string' &&
      ((f.type === 'number' && typeof f.fill === 'number') ||
        ((f.type === 'string' || f.type === 'boolean') && Array.isArray(f.vocabulary) && f.vocabulary.every((v) => typeof v === 'string'))),
  );
  return valid ? encoding : null;
}

/**
 * Encodes request rows: each an object keyed by feature name (a feature left out or `null` is
 * missing) or a list of raw values in feature order. Returns the model's rows; every value that
 * cannot be read is a FieldError naming the row and feature (`<field>[r].<feature>`), reported
 * through `report`, and that row is left undefined.
 */
export class FeatureEncoder {
  readonly layout: EncodingLayout;
  private readonly names: string[];
  private readonly lookups: (Map<string, number> | undefined)[];
  /** Each feature's first column in the model input (its value, or its one-hot block). */
  private readonly offsets: number[];
  /** Numeric features with an indicator: their indicator column. */
  private readonly indicators: number[];

  /** Numbers only, no indicators: the model's input is the row itself, with medians for missing values. */
  readonly plain: boolean;

  constructor(readonly encoding: FeatureEncoding) {
    this.layout = layoutOf(encoding);
    this.plain = isPlainEncoding(encoding);
    this.names = encoding.features.map((f) => f.name);
    this.lookups = encoding.features.map((f) => (f.type === 'number' ? undefined : new Map(f.vocabulary.map((v, i) => [v, i]))));
    const numbers = encoding.features.filter((f) => f.type === 'number');
    let indicator = numbers.length;
    let oneHot = this.layout.passthrough.start + numbers.filter((f) => (f as NumberFeatureEncoding).indicator).length;
    let embedded = this.layout.passthrough.start + this.layout.passthrough.width;
    let numeric = 0;
    this.offsets = [];
    this.indicators = [];
    for (const f of encoding.features) {
      if (f.type === 'number') {
        this.offsets.push(numeric++);
        this.indicators.push(f.indicator ? indicator++ : -1);
      } else {
        const width = f.vocabulary.length + 2;
        if (f.encoding === 'embedding') {
          this.offsets.push(embedded);
          embedded += width;
        } else {
          this.offsets.push(oneHot);
          oneHot += width;
        }
        this.indicators.push(-1);
      }
    }
  }

  get featureNames(): readonly string[] {
    return this.names;
  }

  /** Encodes one row into `out` (zeroed, `layout.width` long); false after reporting what is wrong with it. */
  encodeRow(row: unknown, out: number[] | Float32Array, at: string, report: (error: FieldError) => void): boolean {
    let values: unknown[];
    let known = true;
    if (Array.isArray(row)) {
      if (row.length !== this.names.length) {
        report({ field: at, message: `has ${row.length} values; this model takes ${this.names.length} (${this.names.join(', ')})` });
        return false;
      }
      values = row;
    } else if (row !== null && typeof row === 'object') {
      const object = row as Record<string, unknown>;
      for (const key of Object.keys(object)) {
        if (!this.names.includes(key)) {
          report({ field: `${at}.${key}`, message: `is not a feature of this model (features: ${this.names.join(', ')})` });
          known = false;
        }
      }
      values = this.names.map((name) => (Object.prototype.hasOwnProperty.call(object, name) ? object[name] : null));
    } else {
      report({ field: at, message: `must be an object keyed by feature name (${this.names.join(', ')}) or a list of their values` });
      return false;
    }
    let ok = true;
    this.encoding.features.forEach((f, j) => {
      const value = values[j] === undefined ? null : values[j];
      const field = Array.isArray(row) ? `${at}[${j}]` : `${at}.${f.name}`;
      if (f.type === 'number') {
        if (value === null) {
          out[this.offsets[j]] = f.fill;
          if (this.indicators[j] >= 0) out[this.indicators[j]] = 1;
        } else if (typeof value === 'number' && Number.isFinite(value)) {
          out[this.offsets[j]] = value;
        } else {
          report({ field, message: `must be a finite number or null (feature '${f.name}' is numeric)` });
          ok = false;
        }
        return;
      }
      let slot: number;
      if (value === null) slot = f.vocabulary.length;
      else if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
        slot = this.lookups[j]!.get(categoryOf(value)) ?? f.vocabulary.length + 1;
      } else {
        report({ field, message: `must be a string, a boolean, a number or null (feature '${f.name}' is a category)` });
        ok = false;
        return;
      }
      out[this.offsets[j] + slot] = 1;
    });
    return ok && known;
  }
}

/** A category's key: text as it is, booleans and numbers as they print ("true", "41"). */
export function categoryOf(value: string | number | boolean): string {
  return typeof value === 'string' ? value : String(value);
}
