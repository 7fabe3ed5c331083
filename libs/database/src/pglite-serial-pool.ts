import { EventEmitter } from 'node:events';
import { PGliteDriver } from 'typeorm-pglite';
import { PGlitePool } from 'typeorm-pglite/dist/pglite-pool';
import type { PGliteOptions } from '@electric-sql/pglite';

/**
 * PGlite is one Postgres backend with one session. typeorm-pglite hands that same session to every
 * query runner at once, so two concurrent transactions would interleave their statements (A's BEGIN,
 * B's INSERT, A's ROLLBACK undoing B). This pool checks the session out exclusively, like a
 * pg.Pool of size 1: a transaction owns the connection until it commits or rolls back.
 */
class SerialPGlitePool extends PGlitePool {
  private queue: Promise<void> = Promise.resolve();

  override connect(callback: (err: unknown, client: PGlitePool | null, release: () => void) => void): Promise<void> {
    let unlock!: () => void;
    const held = new Promise<void>((resolve) => (unlock = resolve));
    const turn = this.queue;
    this.queue = turn.then(() => held);
    return turn.then(() => {
      let released = false;
      const release = () => {
        if (!released) {
          released = true;
          unlock();
        }
      };
      return super.connect((err, client) => {
        if (err) release();
        callback(err, client, release);
      });
    });
  }
}

/**
 * A TypeORM `driver` (the pg module's shape) backed by the embedded PGlite database. `onClosed`
 * runs once the pool has ended (the data source destroyed): it releases the data directory.
 */
export function embeddedPostgresDriver(options: PGliteOptions, onClosed?: () => void): unknown {
  new PGliteDriver(options); // registers the options (and the boolean serializer) for the instance
  if (!onClosed) return { Pool: SerialPGlitePool, Client: EventEmitter };
  class ReleasingPool extends SerialPGlitePool {
    override end(callback: (err: unknown) => void): void {
      super.end((err: unknown) => {
        onClosed?.();
        callback(err);
      });
    }
  }
  return { Pool: ReleasingPool, Client: EventEmitter };
}
