/**
 * A write the database refused because of a unique constraint (the version number, the artifact
 * key, one production version per model): another change to the model won a race. Repositories
 * throw it; services turn it into the registry's 409 CONCURRENT_MODIFICATION.
 */
export class RegistryWriteConflict extends Error {
  constructor(readonly constraint: string | undefined) {
    super(`A unique constraint${constraint ? ` (${constraint})` : ''} refused the write.`);
    this.name = 'RegistryWriteConflict';
  }
}

/** Postgres unique_violation, whichever way TypeORM wrapped it. */
export function uniqueViolationOf(error: unknown): { constraint: string | undefined } | null {
  const e = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e?.driverError?.code ?? e?.code;
  return code === '23505' ? { constraint: e?.driverError?.constraint ?? e?.constraint } : null;
}

/** Runs a write, turning a unique violation into RegistryWriteConflict. */
export async function conflictOnUniqueViolation<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    const violation = uniqueViolationOf(error);
    if (violation) throw new RegistryWriteConflict(violation.constraint);
    throw error;
  }
}
