import { DataSource } from 'typeorm';
import { composeConfig } from '@app/common';
import { databaseConfig, databaseOptions, runMigrations } from '@app/database';

/** `npm run migration:run`: applies pending migrations to the configured database and exits. */
async function main(): Promise<void> {
  const dataSource = await new DataSource(databaseOptions(composeConfig([databaseConfig]).database)).initialize();
  try {
    const applied = await runMigrations(dataSource);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
