import { MigrationInterface, QueryRunner } from 'typeorm';

/** Shared helpers every later table relies on. */
export class Baseline1764000000000 implements MigrationInterface {
  name = 'Baseline1764000000000';

  async up(q: QueryRunner): Promise<void> {
    // Keeps updated_at honest whatever code path writes a row.
    await q.query(`
      CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger AS $$
      BEGIN NEW.updated_at = now(); RETURN NEW; END;
      $$ LANGUAGE plpgsql`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS set_updated_at()`);
  }
}
