import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { ConfigValidationError, loadConfigSlice } from '@app/common';
import { databaseConfig } from './database.config';
import { databaseOptions } from './database-options';

/** The embedded engine's start parameters reach the real PGlite server, in memory and on disk. */
describe('embedded PGlite settings', () => {
  const sharedBuffers = async (env: Record<string, string>): Promise<string> => {
    const ds = await new DataSource(databaseOptions(loadConfigSlice(databaseConfig, env))).initialize();
    try {
      const [row] = (await ds.query('SHOW shared_buffers')) as { shared_buffers: string }[];
      // PGlite's own start parameters are kept alongside ours.
      const [path] = (await ds.query('SHOW search_path')) as { search_path: string }[];
      expect(path.search_path).toBe('public');
      return row.shared_buffers;
    } finally {
      await ds.destroy();
    }
  };

  it('gives the page cache 32 MB by default, not Postgres’ 128 MB', async () => {
    expect(await sharedBuffers({ PGLITE_DATA_DIR: 'memory' })).toBe('32MB');
  });

  it('takes PGLITE_SHARED_BUFFERS_MB, on a data directory too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelgate-pglite-settings-'));
    try {
      expect(await sharedBuffers({ PGLITE_DATA_DIR: dir, PGLITE_SHARED_BUFFERS_MB: '24' })).toBe('24MB');
      // Reopened: the setting is a start parameter, not something written into the cluster.
      expect(await sharedBuffers({ PGLITE_DATA_DIR: dir, PGLITE_SHARED_BUFFERS_MB: '48' })).toBe('48MB');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(['0', '-1', 'lots', '100000'])('refuses PGLITE_SHARED_BUFFERS_MB=%s at start-up', (value) => {
    expect(() => loadConfigSlice(databaseConfig, { PGLITE_SHARED_BUFFERS_MB: value })).toThrow(ConfigValidationError);
  });
});
