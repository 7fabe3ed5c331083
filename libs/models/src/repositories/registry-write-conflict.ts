import { uniqueViolationOf } from '@app/database';

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
