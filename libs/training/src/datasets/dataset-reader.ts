import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { CsvError, parse as csvParser } from 'csv-parse';
import { CellValue, ColumnType, DatasetColumn, DatasetFormat, DISTINCT_CAP, MalformedDatasetError } from './dataset-format';

/**
 * Reads an uploaded dataset: CSV with a header line, or JSON lines (one object per line). The
 * same reader checks an upload and feeds the trainer, so what was accepted is what is trained on.
 *
 * Types: a column takes the type of its first non-empty value (number, boolean, else string), and
 * every later non-empty value must fit it: "1.5" then "abc" in one column is a malformed file (422
 * naming the line and column), not a silent string column. Any column may have missing values (an
 * empty CSV cell, a JSON null): they are kept as `null` and counted in the column's `missing`; the
 * trainer imputes them (real tables have holes, and refusing the file would refuse the table).
 *
 * It yields to the event loop every few thousand rows, so checking a large upload in the API does
 * not stall other requests.
 */

/**
 * Caps applied while a file is read, so that a hostile upload costs work in proportion to the caps,
 * not to its size: a CSV record is cut off at its `maxColumns + 1`th field or `maxFieldChars + 1`th
 * character, before the parser has built it (DATASET_MAX_*).
 */
export interface DatasetLimits {
  maxColumns: number;
  /** Characters of one value. */
  maxFieldChars: number;
  /** Characters of one record: a CSV record (quoted line breaks included) or a JSON line. */
  maxRecordChars: number;
}

export const DEFAULT_DATASET_LIMITS: Readonly<DatasetLimits> = { maxColumns: 1000, maxFieldChars: 65_536, maxRecordChars: 1_048_576 };

/** No caps and no reserved names: for a stored dataset, which was checked when it was uploaded. */
export const ALREADY_CHECKED: Readonly<DatasetLimits> = {
  maxColumns: Number.MAX_SAFE_INTEGER,
  maxFieldChars: Number.MAX_SAFE_INTEGER,
  maxRecordChars: Number.MAX_SAFE_INTEGER,
};

/**
 * Column names no JSON body can carry as a key of a plain object (secure JSON parsing refuses
 * `__proto__` and `constructor`, and `prototype` is refused with them), so a model trained on
 * such a column could never be called with rows keyed by name.
 */
export const RESERVED_COLUMN_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface ReadDatasetOptions {
  /** Forced format; otherwise sniffed from the content (a first line starting with `{` is JSON lines). */
  format?: DatasetFormat;
  /** Caps (any left out: DEFAULT_DATASET_LIMITS); ALREADY_CHECKED for a stored dataset. */
  limits?: Partial<DatasetLimits>;
  /** Shorthand for `limits.maxColumns`. */
  maxColumns?: number;
  /** Keep the values, column-major (the trainer needs them; an upload only needs the schema). */
  collect?: boolean;
}

interface ReadLimits extends DatasetLimits {
  collect: boolean;
  /** Refuse RESERVED_COLUMN_NAMES (uploads; not a stored dataset). */
  reservedNames: boolean;
}

export interface DatasetContents {
  format: DatasetFormat;
  columns: DatasetColumn[];
  rows: number;
  /** values[column][row] when `collect` was set. */
  values?: CellValue[][];
}

const ROWS_PER_TURN = 2000;
/** Characters of JSON lines read per event-loop turn (at most; and ROWS_PER_TURN rows). */
const YIELD_CHARS = 1024 * 1024;
const CHUNK_CHARS = 64 * 1024;
/** Bytes decoded per event-loop turn. */
const DECODE_BYTES = 1024 * 1024;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const BOOLEAN = /^(?:true|false)$/i;

export async function readDataset(bytes: Uint8Array, options: ReadDatasetOptions = {}): Promise<DatasetContents> {
  const text = await decodeUtf8(bytes);
  if (text.every((piece) => piece.trim() === '')) throw new MalformedDatasetError('empty-file', 'The file is empty.');
  const format = options.format ?? sniffFormat(text);
  const caps = {
    ...DEFAULT_DATASET_LIMITS,
    ...options.limits,
    ...(options.maxColumns !== undefined ? { maxColumns: options.maxColumns } : {}),
  };
  const limits: ReadLimits = { ...caps, collect: options.collect ?? false, reservedNames: options.limits !== ALREADY_CHECKED };
  return format === 'csv' ? readCsv(text, limits) : readJsonLines(text, limits);
}

/** `.csv` / `.jsonl` / `.ndjson` by file name, else undefined (the content decides). */
export function formatFromFileName(name: string | undefined): DatasetFormat | undefined {
  const ext = /\.([a-z]+)$/i.exec(name ?? '')?.[1]?.toLowerCase();
  if (ext === 'csv') return 'csv';
  if (ext === 'jsonl' || ext === 'ndjson') return 'jsonl';
  return undefined;
}

/** The text's first non-blank character is `{`: JSON lines. */
function sniffFormat(text: readonly string[]): DatasetFormat {
  for (const piece of text) {
    const rest = piece.trimStart();
    if (rest !== '') return rest.startsWith('{') ? 'jsonl' : 'csv';
  }
  return 'csv';
}

// ------------------------------------------------------------------ encoding

/**
 * The text, decoded DECODE_BYTES at a time with an event-loop turn between pieces (a whole-upload
 * decode blocks the loop for tens of milliseconds), as pieces in order: the text is their
 * concatenation, never built as one string. The whole file is checked before anything else is read,
 * so an invalid byte anywhere is what a file is refused for, as before.
 */
async function decodeUtf8(bytes: Uint8Array): Promise<string[]> {
  // ignoreBOM: false strips a leading UTF-8 byte order mark (of the stream, not of each piece).
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const pieces: string[] = [];
  try {
    for (let start = 0; start < bytes.length; start += DECODE_BYTES) {
      if (start > 0) await nextTurn();
      const piece = decoder.decode(bytes.subarray(start, start + DECODE_BYTES), { stream: true });
      if (piece !== '') pieces.push(piece);
    }
    const rest = decoder.decode();
    if (rest !== '') pieces.push(rest);
  } catch {
    throw encodingError(bytes);
  }
  return pieces;
}

/** Finds the first line with an invalid UTF-8 sequence, and the comma-separated field it sits in. */
function encodingError(bytes: Uint8Array): MalformedDatasetError {
  const strict = new TextDecoder('utf-8', { fatal: true });
  const lenient = new TextDecoder('utf-8');
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: string[] | undefined;
  let start = 0;
  for (let line = 1; start <= buffer.length; line++) {
    let end = buffer.indexOf(0x0a, start);
    if (end < 0) end = buffer.length;
    const raw = buffer.subarray(start, end);
    try {
      const decoded = strict.decode(raw);
      if (line === 1) header = decoded.split(',').map((h) => h.trim());
    } catch {
      const decoded = lenient.decode(raw);
      const field = decoded.slice(0, decoded.indexOf('\ufffd')).split(',').length;
      const column = line > 1 && header?.[field - 1] ? header[field - 1] : `#${field}`;
      return new MalformedDatasetError('bad-encoding', 'The file is not valid UTF-8 text (an invalid byte sequence).', { line, column });
    }
    start = end + 1;
  }
  return new MalformedDatasetError('bad-encoding', 'The file is not valid UTF-8 text.');
}

// ------------------------------------------------------------------ typing

/** Learns each column's type from its first non-empty value and holds every later value to it. */
class ColumnTyper {
  readonly types: (ColumnType | undefined)[];
  private readonly firstLine: number[];
  private readonly missing: number[];
  private readonly distinct: Set<CellValue>[];
  private readonly integer: boolean[];
  readonly values: CellValue[][];

  constructor(
    readonly names: string[],
    private readonly collect: boolean,
  ) {
    this.types = names.map(() => undefined);
    this.firstLine = names.map(() => 0);
    this.missing = names.map(() => 0);
    this.distinct = names.map(() => new Set());
    this.integer = names.map(() => true);
    this.values = collect ? names.map(() => []) : [];
  }

  /** A CSV field: text that may spell a number or a boolean. */
  acceptText(index: number, raw: string, line: number): void {
    if (raw === '') return this.keep(index, null, line);
    let type = this.types[index];
    if (type === undefined) {
      type = NUMBER.test(raw) && Number.isFinite(Number(raw)) ? 'number' : BOOLEAN.test(raw) ? 'boolean' : 'string';
      this.decide(index, type, line);
    }
    if (type === 'string') return this.keep(index, raw, line);
    if (type === 'number') {
      const n = Number(raw);
      if (!NUMBER.test(raw) || !Number.isFinite(n)) throw this.mismatch(index, line, `'${excerpt(raw)}' is not a number`);
      return this.keep(index, n, line);
    }
    if (!BOOLEAN.test(raw)) throw this.mismatch(index, line, `'${excerpt(raw)}' is not true or false`);
    this.keep(index, raw.toLowerCase() === 'true', line);
  }

  /** A JSON value: its JSON type is its type. */
  acceptJson(index: number, value: unknown, line: number, maxFieldChars: number): void {
    if (typeof value === 'string' && value.length > maxFieldChars) throw fieldTooLarge(maxFieldChars, line, this.names[index]);
    let type: ColumnType;
    if (typeof value === 'number') type = 'number';
    else if (typeof value === 'string') type = 'string';
    else if (typeof value === 'boolean') type = 'boolean';
    else if (value === null) return this.keep(index, null, line);
    else
      throw new MalformedDatasetError('type-mismatch', 'Values must be numbers, strings or booleans (not objects or arrays).', {
        line,
        column: this.names[index],
      });
    const known = this.types[index];
    if (known === undefined) this.decide(index, type, line);
    else if (known !== type) throw this.mismatch(index, line, `${JSON.stringify(value).slice(0, 40)} is a ${type}`);
    this.keep(index, value as CellValue, line);
  }

  columns(): DatasetColumn[] {
    return this.names.map((name, i) => {
      // A column with no value at all (every field empty) is text.
      const type = this.types[i] ?? 'string';
      const column: DatasetColumn = { name, type, distinct: this.distinct[i].size, missing: this.missing[i] };
      if (type === 'number') column.integer = this.integer[i];
      return column;
    });
  }

  private decide(index: number, type: ColumnType, line: number): void {
    this.types[index] = type;
    this.firstLine[index] = line;
  }

  private keep(index: number, value: CellValue, _line: number): void {
    if (this.collect) this.values[index].push(value);
    if (value === null) {
      this.missing[index]++;
      return;
    }
    const seen = this.distinct[index];
    if (seen.size <= DISTINCT_CAP) seen.add(value);
    if (typeof value === 'number' && !Number.isInteger(value)) this.integer[index] = false;
  }

  private mismatch(index: number, line: number, what: string): MalformedDatasetError {
    const type = this.types[index]!;
    return new MalformedDatasetError(
      'type-mismatch',
      `${what}, but the column is ${article(type)} column (its first value, at line ${this.firstLine[index]}, is ${article(type)}).`,
      { line, column: this.names[index] },
    );
  }
}

function article(type: ColumnType): string {
  return type === 'number' ? 'a numeric' : `a ${type}`;
}

function excerpt(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function tooManyColumns(maxColumns: number, line: number): MalformedDatasetError {
  return new MalformedDatasetError('too-many-columns', `The line has more than ${maxColumns} columns (DATASET_MAX_COLUMNS).`, { line });
}

function fieldTooLarge(maxFieldChars: number, line: number, column?: string): MalformedDatasetError {
  return new MalformedDatasetError('field-too-large', `A value is longer than ${maxFieldChars} characters (DATASET_MAX_FIELD_CHARS).`, {
    line,
    ...(column !== undefined ? { column } : {}),
  });
}

function recordTooLarge(maxRecordChars: number, line: number): MalformedDatasetError {
  return new MalformedDatasetError(
    'record-too-large',
    `The record is longer than ${maxRecordChars} characters (DATASET_MAX_RECORD_CHARS).`,
    { line },
  );
}

function checkHeader(names: string[], limits: ReadLimits, line: number): void {
  if (names.length > limits.maxColumns) throw tooManyColumns(limits.maxColumns, line);
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (name === '') throw new MalformedDatasetError('bad-header', 'The column has no name.', { line, column: `#${i + 1}` });
    if (name.length > limits.maxFieldChars) throw fieldTooLarge(limits.maxFieldChars, line, `#${i + 1}`);
    if (limits.reservedNames && RESERVED_COLUMN_NAMES.has(name)) {
      throw new MalformedDatasetError(
        'reserved-column-name',
        `'${name}' cannot name a column: no JSON body may carry it as a key, so rows could never name it (reserved: ${[...RESERVED_COLUMN_NAMES].join(', ')}).`,
        { line, column: name },
      );
    }
    if (seen.has(name)) throw new MalformedDatasetError('bad-header', 'The column name appears twice.', { line, column: name });
    seen.add(name);
  });
}

// ------------------------------------------------------------------ CSV

async function readCsv(text: readonly string[], limits: ReadLimits): Promise<DatasetContents> {
  const parser = csvParser({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: true });
  const guard = new CsvRecordGuard(text, limits);
  Readable.from(guard.chunks()).pipe(parser);
  let typer: ColumnTyper | undefined;
  let rows = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      if (!typer) {
        checkHeader(record, limits, line);
        if (record.every((name) => NUMBER.test(name))) {
          throw new MalformedDatasetError(
            'missing-header',
            'The first line must be a header naming the columns, but it holds only numbers.',
            { line },
          );
        }
        typer = new ColumnTyper(record, limits.collect);
        continue;
      }
      if (record.length !== typer.names.length) {
        throw new MalformedDatasetError(
          'ragged-row',
          `The row has ${record.length} values but the header names ${typer.names.length} columns.`,
          { line, column: record.length > typer.names.length ? `#${typer.names.length + 1}` : typer.names[record.length] },
        );
      }
      for (let c = 0; c < record.length; c++) typer.acceptText(c, record[c], line);
      if (++rows % ROWS_PER_TURN === 0) await nextTurn();
    }
  } catch (error) {
    parser.destroy();
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      throw new MalformedDatasetError('bad-csv', `Not valid CSV: ${error.message.replace(/^Invalid [^:]*: /, '')}`, { line });
    }
    throw error;
  }
  // Everything before the record that broke a cap was fine: now the cap speaks.
  if (guard.violation) throw guard.violation;
  if (!typer) throw new MalformedDatasetError('empty-file', 'The file is empty.');
  if (rows === 0) throw new MalformedDatasetError('no-rows', 'The file has a header but no data rows.', { line: 2 });
  return { format: 'csv', columns: typer.columns(), rows, values: limits.collect ? typer.values : undefined };
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;

/**
 * Feeds the CSV parser whole records only, after one cheap pass over their characters that counts
 * fields and their lengths as CSV quoting defines them. csv-parse builds a record in full before
 * handing it over (a million-column header, a 40 MB value), so the caps are enforced here, while
 * streaming: the record that breaks one is never given to the parser, `violation` says why, and
 * the reader reports it once the parser has read every record before it (whose own errors come first).
 *
 * The text comes as pieces (see decodeUtf8); the scan runs over them as one text, and what it hands
 * the parser is cut at record boundaries as if the text were one string: the first line break at or
 * after CHUNK_CHARS past the previous cut, the record breaking a cap, or the end of the text. Nothing
 * past the record that breaks a cap is scanned.
 */
class CsvRecordGuard {
  violation?: MalformedDatasetError;
  private readonly text: TextPieces;

  constructor(
    pieces: readonly string[],
    private readonly limits: DatasetLimits,
  ) {
    this.text = new TextPieces(pieces);
  }

  *chunks(): Generator<string> {
    const { maxColumns, maxFieldChars, maxRecordChars } = this.limits;
    const { pieces, length } = this.text;
    let from = 0;
    let target = CHUNK_CHARS;
    let line = 1;
    let recordStart = 0;
    let recordLine = 1;
    let fields = 1;
    let fieldChars = 0;
    let fieldStart = true;
    let quoted = false;
    /** A quote inside a quoted field, seen at the previous character: `""` (a quote) or the field's end. */
    let quoteBefore = false;
    let violation: MalformedDatasetError | undefined;
    let offset = 0;
    scan: for (let p = 0; p < pieces.length; offset += pieces[p].length, p++) {
      const piece = pieces[p];
      let i = 0;
      // A byte order mark is not part of the first field (the parser drops it too).
      if (p === 0 && piece.charCodeAt(0) === 0xfeff) i = recordStart = 1;
      for (; i < piece.length; i++) {
        const c = piece.charCodeAt(i);
        const at = offset + i;
        if (quoteBefore) {
          quoteBefore = false;
          if (c === QUOTE) {
            fieldChars++;
            if (fieldChars > maxFieldChars) violation = fieldTooLarge(maxFieldChars, line);
            else if (at + 1 - recordStart > maxRecordChars) violation = recordTooLarge(maxRecordChars, recordLine);
            if (violation) break scan;
            continue;
          }
          // The quote before closed the field: its checks, at its own position, then this character.
          quoted = false;
          if (fieldChars > maxFieldChars) violation = fieldTooLarge(maxFieldChars, line);
          else if (at - recordStart > maxRecordChars) violation = recordTooLarge(maxRecordChars, recordLine);
          if (violation) break scan;
        }
        if (quoted) {
          if (c === QUOTE) {
            quoteBefore = true;
            continue;
          }
          if (c === LF) line++;
          fieldChars++;
        } else if (c === COMMA) {
          if (++fields > maxColumns) {
            violation = tooManyColumns(maxColumns, recordLine);
            break scan;
          }
          fieldChars = 0;
          fieldStart = true;
          continue;
        } else if (c === LF) {
          line++;
          recordStart = at + 1;
          recordLine = line;
          fields = 1;
          fieldChars = 0;
          fieldStart = true;
          if (at + 1 >= target) {
            yield this.text.slice(from, at + 1);
            from = at + 1;
            target = from + CHUNK_CHARS;
          }
          continue;
        } else if (c === QUOTE && fieldStart) {
          quoted = true;
          fieldStart = false;
          continue;
        } else if (c !== CR) {
          // Leading blanks are trimmed by the parser; a quote after them still opens a quoted field.
          if (fieldStart && (c === SPACE || c === TAB)) continue;
          fieldStart = false;
          fieldChars++;
        }
        if (fieldChars > maxFieldChars) violation = fieldTooLarge(maxFieldChars, line);
        else if (at + 1 - recordStart > maxRecordChars) violation = recordTooLarge(maxRecordChars, recordLine);
        if (violation) break scan;
      }
    }
    if (!violation && quoteBefore) {
      // The text ends with a quote that closes its field: its checks, at the last position.
      if (fieldChars > maxFieldChars) violation = fieldTooLarge(maxFieldChars, line);
      else if (length - recordStart > maxRecordChars) violation = recordTooLarge(maxRecordChars, recordLine);
    }
    const end = violation ? recordStart : length;
    this.violation = violation;
    if (end > from) yield this.text.slice(from, end);
  }
}

/** Text held as pieces in order, sliced as if it were one string (slices asked for in increasing order). */
class TextPieces {
  readonly length: number;
  private piece = 0;
  private pieceStart = 0;

  constructor(readonly pieces: readonly string[]) {
    this.length = pieces.reduce((n, piece) => n + piece.length, 0);
  }

  slice(from: number, to: number): string {
    while (this.piece < this.pieces.length && this.pieceStart + this.pieces[this.piece].length <= from) {
      this.pieceStart += this.pieces[this.piece].length;
      this.piece++;
    }
    const parts: string[] = [];
    for (let p = this.piece, start = this.pieceStart; p < this.pieces.length && start < to; start += this.pieces[p].length, p++) {
      parts.push(this.pieces[p].slice(Math.max(from - start, 0), to - start));
    }
    return parts.length === 1 ? parts[0] : parts.join('');
  }
}

// ------------------------------------------------------------------ JSON lines

async function readJsonLines(text: readonly string[], limits: ReadLimits): Promise<DatasetContents> {
  const lines = jsonLines(text, limits.maxRecordChars);
  let typer: ColumnTyper | undefined;
  let index: Map<string, number> | undefined;
  let rows = 0;
  let charsThisTurn = 0;
  for (const [line, raw] of lines) {
    // Every few thousand rows, and every megabyte of text (long lines make for long turns).
    charsThisTurn += raw.length;
    if (charsThisTurn > YIELD_CHARS) {
      charsThisTurn = 0;
      await nextTurn();
    }
    const source = raw.trim();
    if (source === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(source);
    } catch (error) {
      throw new MalformedDatasetError('bad-json', `Not valid JSON: ${(error as Error).message}.`, { line });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new MalformedDatasetError('bad-json', 'Each line must be a JSON object ({"column": value, ...}).', { line });
    }
    const record = value as Record<string, unknown>;
    if (!typer || !index) {
      const names = Object.keys(record);
      if (names.length === 0)
        throw new MalformedDatasetError('bad-header', 'The first object has no fields to name the columns.', { line });
      checkHeader(names, limits, line);
      typer = new ColumnTyper(names, limits.collect);
      index = new Map(names.map((n, c) => [n, c]));
    }
    for (const key of Object.keys(record)) {
      if (!index.has(key)) {
        throw new MalformedDatasetError('ragged-row', 'The object has a field that the first line does not have.', { line, column: key });
      }
    }
    for (let c = 0; c < typer.names.length; c++) {
      const name = typer.names[c];
      if (!Object.prototype.hasOwnProperty.call(record, name)) {
        throw new MalformedDatasetError('ragged-row', 'The object lacks a field that the first line has.', { line, column: name });
      }
      typer.acceptJson(c, record[name], line, limits.maxFieldChars);
    }
    rows++;
    if (rows % ROWS_PER_TURN === 0) await nextTurn();
  }
  if (!typer) throw new MalformedDatasetError('empty-file', 'The file is empty.');
  return { format: 'jsonl', columns: typer.columns(), rows, values: limits.collect ? typer.values : undefined };
}

/**
 * The text's lines ([line number, text without its line break], as `split('\n')` would give them, a
 * leading byte order mark dropped), built from the pieces as they are reached. A line longer than
 * `maxRecordChars` is refused (record-too-large) as soon as it is, without being built.
 */
function* jsonLines(pieces: readonly string[], maxRecordChars: number): Generator<[number, string]> {
  let line = 1;
  let parts: string[] = [];
  let length = 0;
  for (let p = 0; p < pieces.length; p++) {
    const piece = p === 0 ? pieces[0].replace(/^\ufeff/, '') : pieces[p];
    let start = 0;
    for (;;) {
      const end = piece.indexOf('\n', start);
      const stop = end < 0 ? piece.length : end;
      length += stop - start;
      if (length > maxRecordChars) throw recordTooLarge(maxRecordChars, line);
      if (stop > start) parts.push(piece.slice(start, stop));
      if (end < 0) break;
      yield [line++, parts.length === 1 ? parts[0] : parts.join('')];
      parts = [];
      length = 0;
      start = end + 1;
    }
  }
  yield [line, parts.join('')];
}
