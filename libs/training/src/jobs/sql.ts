/**
 * The rows of a raw `UPDATE ... RETURNING` through TypeORM's query(): the postgres driver answers
 * `[rows, affectedCount]` for UPDATE and DELETE, and plain rows for SELECT.
 */
export function rowsOf<T = Record<string, unknown>>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}
