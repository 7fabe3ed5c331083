import Table from 'cli-table3';

/** Tables for people: no colours (pipes and CI logs stay clean), `-` for nothing. */
export function table(head: string[], rows: unknown[][]): string {
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) t.push(row.map(cell));
  return t.toString() + '\n';
}

/** A record as a two-column table (field, value). */
export function record(fields: Array<[string, unknown]>): string {
  const t = new Table({ style: { head: [], border: [] } });
  for (const [name, value] of fields) t.push({ [name]: cell(value) });
  return t.toString() + '\n';
}

export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  if (Array.isArray(value))
    return value.every((v) => typeof v !== 'object' || v === null) ? value.map(cell).join(', ') : JSON.stringify(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
