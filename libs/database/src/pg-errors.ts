/** Postgres unique_violation (23505), whichever way TypeORM wrapped the driver's error; null for any other error. */
export function uniqueViolationOf(error: unknown): { constraint: string | undefined } | null {
  const e = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e?.driverError?.code ?? e?.code;
  return code === '23505' ? { constraint: e?.driverError?.constraint ?? e?.constraint } : null;
}
