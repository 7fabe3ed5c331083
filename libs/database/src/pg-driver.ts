import pg from 'pg';
import { DatabaseUnavailableError, isConnectionFailure } from './database-unavailable';

type Callback = (err: Error | undefined, ...rest: unknown[]) => void;

const translate = (error: unknown): unknown => (isConnectionFailure(error) ? new DatabaseUnavailableError(error) : error);

/**
 * node-postgres as TypeORM's `driver`, with one change at the boundary: a failure to obtain or use
 * a connection becomes a DatabaseUnavailableError (503 + Retry-After) instead of an anonymous error
 * (500). TypeORM wraps query errors in QueryFailedError and keeps this one as its `driverError`.
 */
class Client extends pg.Client {
  // pg's overloads (callback, promise, submittable) cannot be re-declared one by one; the promise
  // form is the one TypeORM uses and the only one translated.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const result = (super.query as (...a: any[]) => any)(...args);
    if (result && typeof (result as Promise<unknown>).then === 'function' && typeof args.at(-1) !== 'function') {
      return (result as Promise<unknown>).catch((error: unknown) => {
        // The client gave up waiting (query_timeout) on a connection that went silent; pg keeps the
        // connection otherwise, and the next query would wait behind the lost one. Ending it makes
        // the pool discard it when TypeORM releases it.
        if (String((error as { message?: unknown } | null)?.message).includes('Query read timeout')) void this.end().catch(() => undefined);
        throw translate(error);
      });
    }
    return result;
  }
}

class Pool extends pg.Pool {
  constructor(config?: pg.PoolConfig) {
    super({ ...config, Client });
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override connect(callback?: any): any {
    if (typeof callback !== 'function') {
      return super.connect().catch((error: unknown) => {
        throw translate(error);
      });
    }
    return super.connect(((err: Error | undefined, ...rest: unknown[]) =>
      (callback as Callback)(err ? (translate(err) as Error) : err, ...rest)) as never);
  }
}

export const pgDriver = { ...pg, Pool, Client };
