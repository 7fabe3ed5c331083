/**
 * A look at a dataset file before it is sent: its first rows, parsed in the browser. The server's
 * reader (csv-parse) stays the judge of what is valid; this only has to show the rows as a person
 * expects them, so it follows RFC 4180 (quoted fields, doubled quotes, quoted line breaks).
 */

export interface Preview {
  format: 'csv' | 'jsonl';
  columns: string[];
  /** The first rows, as text, one cell per column (missing cells are empty). */
  rows: string[][];
  /** Whether the file holds more rows than these (or could not be read to its end). */
  truncated: boolean;
}

/** Bytes read for a preview: enough for ten rows of any sensible table. */
export const PREVIEW_BYTES = 64 * 1024;

export async function previewFile(file: Blob & { name: string }, maxRows = 10): Promise<Preview> {
  const complete = file.size <= PREVIEW_BYTES;
  const text = await file.slice(0, PREVIEW_BYTES).text();
  return previewText(text, file.name, { maxRows, complete });
}

/** The format the server would read: by the file's name, else by its first character. */
export function formatOf(text: string, name: string): Preview['format'] {
  if (/\.csv$/i.test(name)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(name)) return 'jsonl';
  return text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .startsWith('{')
    ? 'jsonl'
    : 'csv';
}

export function previewText(text: string, name: string, options: { maxRows?: number; complete?: boolean } = {}): Preview {
  const maxRows = options.maxRows ?? 10;
  const complete = options.complete ?? true;
  const body = text.replace(/^\uFEFF/, '');
  return formatOf(body, name) === 'jsonl' ? previewJsonLines(body, maxRows, complete) : previewCsv(body, maxRows, complete);
}

function previewCsv(text: string, maxRows: number, complete: boolean): Preview {
  // One record more than shown tells whether there are more; the last record of a cut-off read may be partial.
  const { records, ended } = parseCsv(text, maxRows + 2);
  const usable = complete || !ended ? records : records.slice(0, -1);
  const [header = [], ...data] = usable.filter((r) => !(r.length === 1 && r[0] === ''));
  return {
    format: 'csv',
    columns: header,
    rows: data.slice(0, maxRows).map((r) => header.map((_, i) => r[i] ?? '')),
    truncated: data.length > maxRows || !complete,
  };
}

/**
 * Parses CSV records, at most `limit` of them. `ended` is whether parsing reached the end of the
 * text (so the last record may have been cut off by a partial read).
 */
export function parseCsv(text: string, limit = Infinity): { records: string[][]; ended: boolean } {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRecord = () => {
    record.push(field);
    records.push(record);
    record = [];
    field = '';
  };
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
    } else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' || c === '\n') {
      endRecord();
      if (c === '\r' && text[i + 1] === '\n') i++;
      if (records.length >= limit) return { records, ended: false };
    } else {
      field += c;
    }
    i++;
  }
  if (field !== '' || record.length > 0) endRecord();
  return { records, ended: true };
}

function previewJsonLines(text: string, maxRows: number, complete: boolean): Preview {
  const lines = text.split(/\r?\n/);
  // A read cut off mid-file ends in a partial line.
  if (!complete) lines.pop();
  const objects: Record<string, unknown>[] = [];
  let more = false;
  for (const line of lines) {
    if (!line.trim()) continue;
    if (objects.length === maxRows) {
      more = true;
      break;
    }
    try {
      const value: unknown = JSON.parse(line);
      objects.push(typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
    } catch {
      // The server names the bad line after upload; the preview shows what it could read.
      objects.push({});
    }
  }
  const columns = [...new Set(objects.flatMap((o) => Object.keys(o)))];
  return {
    format: 'jsonl',
    columns,
    rows: objects.map((o) => columns.map((c) => cellText(o[c]))),
    truncated: more || !complete,
  };
}

function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
