import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';

/**
 * An empty, initialised PGlite cluster made at build time (`npm run build` → dist/pglite-seed.tar.gz).
 * Running initdb inside WASM takes ~5 s on these machines; unpacking the seed takes ~1.5 s, which
 * keeps a fresh `npm start` ready within its 10 s budget. Without the seed (tests, ts sources) PGlite
 * simply runs initdb.
 */
export const PGLITE_SEED_FILE = join(__dirname, '..', '..', '..', 'pglite-seed.tar.gz');

/** What the embedded server is started with, besides PGlite's own start parameters. */
export interface EmbeddedSettings {
  sharedBuffersMb: number;
}

export function embeddedOptions(dataDir: string | undefined, settings: EmbeddedSettings): PGliteOptions {
  const startParams = [...PGlite.defaultStartParams, '-c', `shared_buffers=${settings.sharedBuffersMb}MB`];
  if (!dataDir) return { startParams };
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  if (fresh && existsSync(PGLITE_SEED_FILE)) {
    return { dataDir, startParams, loadDataDir: new Blob([new Uint8Array(readFileSync(PGLITE_SEED_FILE))]) };
  }
  return { dataDir, startParams };
}
