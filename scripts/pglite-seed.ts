import { writeFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLITE_SEED_FILE } from '../libs/database/src/pglite-seed';

/** Build step: an empty initialised PGlite cluster, so a fresh embedded start skips initdb. */
async function main(): Promise<void> {
  const db = await PGlite.create();
  const dump = await db.dumpDataDir('gzip');
  await db.close();
  writeFileSync(PGLITE_SEED_FILE, Buffer.from(await dump.arrayBuffer()));
  console.log(`wrote ${PGLITE_SEED_FILE}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
