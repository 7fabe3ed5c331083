import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A per-user credential version, carried in access tokens (`cv`): a password change or reset, a
 * disable or a role change increments it in the same transaction, so every access token issued
 * before stops working at once (a re-enabled account does not revive them). Existing tokens carry
 * no version and count as version 1, which every existing user starts at.
 */
export class CredentialVersions1764000005000 implements MigrationInterface {
  name = 'CredentialVersions1764000005000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN credential_version integer NOT NULL DEFAULT 1`);
    await q.query(`ALTER TABLE users ADD CONSTRAINT chk_users_credential_version CHECK (credential_version >= 1)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP CONSTRAINT chk_users_credential_version`);
    await q.query(`ALTER TABLE users DROP COLUMN credential_version`);
  }
}
