import { join, resolve } from 'node:path';
import { z } from 'zod';
import { bool, defineConfig, int, optionalUrl, sharedVariables, type ConfigOf } from '@app/common';

/** Postgres when DATABASE_URL is set, otherwise embedded PGlite under DATA_DIR. */
export const databaseConfig = defineConfig({
  key: 'database',
  variables: {
    DATA_DIR: sharedVariables.DATA_DIR,
    DATABASE_URL: optionalUrl,
    DATABASE_POOL_SIZE: int(10, 1, 200),
    DATABASE_SSL: bool.default(false),
    DATABASE_CONNECT_TIMEOUT_MS: int(5_000, 100, 120_000),
    DATABASE_STATEMENT_TIMEOUT_MS: int(30_000, 100, 3_600_000),
    STALE_IF_ERROR_MS: int(300_000, 0, 86_400_000),
    PGLITE_DATA_DIR: z.string().optional(),
    PGLITE_SHARED_BUFFERS_MB: int(32, 1, 4096),
  },
  build: (e) => ({
    url: e.DATABASE_URL,
    poolSize: e.DATABASE_POOL_SIZE,
    ssl: e.DATABASE_SSL,
    /** How long obtaining a pg connection may take before the request fails with 503. */
    connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
    /** Longest statement (server side; the client gives up shortly after). */
    statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    /**
     * While the database is unreachable, cached lookups (callers, serving targets, settings) older
     * than their TTL may still be used for this long, so serving loaded models keeps working.
     */
    staleIfErrorMs: e.STALE_IF_ERROR_MS,
    /** Embedded PGlite's directory, or 'memory' for a throwaway in-memory database. */
    embeddedDir: e.PGLITE_DATA_DIR === 'memory' ? 'memory' : resolve(e.PGLITE_DATA_DIR ?? join(e.DATA_DIR, 'pglite')),
    /**
     * Embedded PGlite's page cache. Postgres' default (128 MB) is sized for a server's working set;
     * embedded, the registry and usage tables are small, the pages are already in this process's
     * memory or the OS cache, and the default alone adds ~140 MB to the API's RSS.
     */
    embeddedSharedBuffersMb: e.PGLITE_SHARED_BUFFERS_MB,
  }),
});
export type DatabaseConfig = ConfigOf<typeof databaseConfig>;
