const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A syntactically valid UUID: checked before an id reaches a uuid column (Postgres would answer 22P02). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** A date as the API writes it (ISO 8601, UTC), or null. */
export function isoOrNull(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}
