import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApiConfig, type ApiConfigInput, loadApiConfig } from '../../apps/api/src/api-config';

/**
 * The configuration of an in-process bench: a throwaway data directory, silent logs, an in-memory
 * database (unless DATABASE_URL is given), no rate limit in the way, and cheap password hashing so
 * that setting up users does not dominate start-up.
 */
export function benchConfig(extra: ApiConfigInput = {}): { config: ApiConfig; dataDir: string } {
  const dataDir = mkdtempSync(join(tmpdir(), 'modelgate-bench-'));
  const config = loadApiConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    PGLITE_DATA_DIR: 'memory',
    JWT_SECRET: randomBytes(32).toString('hex'),
    RATE_LIMIT_PER_MINUTE: '1000000000',
    PASSWORD_SCRYPT_COST: '14',
    ...extra,
  });
  return { config, dataDir };
}
