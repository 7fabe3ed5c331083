import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { recordServerProbe } from './servers';

/**
 * Fixture models and datasets are made once per run by the repo's own generator (never downloaded);
 * the generator skips work whose output is already current. Also probes the real servers once
 * (test/support/servers.ts: suites that need an unreachable one are skipped, or fail under CI).
 */
export default async function globalSetup(): Promise<void> {
  await recordServerProbe();
  const generator = join(__dirname, '..', '..', 'scripts', 'generate-fixtures.ts');
  if (!existsSync(generator)) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { generateFixtures } = require(generator) as { generateFixtures: () => Promise<void> };
  await generateFixtures();
  // Jest copies this process's globals into every test sandbox it creates afterwards; tfjs keeps its
  // engine and kernel registry on the global object, so a generation run here must not leave them
  // behind (the sandboxes' own tfjs would find them: duplicate kernels, a foreign engine).
  for (const key of ['_tfengine', '_tfGlobals']) delete (globalThis as Record<string, unknown>)[key];
}
