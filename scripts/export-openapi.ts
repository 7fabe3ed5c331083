import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadApiConfig } from '../apps/api/src/api-config';
import { createApp } from '../apps/api/src/create-app';
import { buildOpenApiDocument } from '../apps/api/src/openapi';

/** Writes openapi.json at the repo root from the code (in-memory database, nothing listens). */
async function main(): Promise<void> {
  const config = loadApiConfig({
    NODE_ENV: 'test',
    PGLITE_DATA_DIR: 'memory',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'modelgate-openapi-')),
  });
  const app = await createApp(config, { logger: pino({ level: 'silent' }) });
  const out = join(process.cwd(), 'openapi.json');
  writeFileSync(out, JSON.stringify(buildOpenApiDocument(app), null, 2) + '\n');
  await app.close();
  console.log(`wrote ${out}`);
}

void main();
