import { MigrationInterface, QueryRunner } from 'typeorm';

export class ShadowTraffic1764000009000 implements MigrationInterface {
  name = 'ShadowTraffic1764000009000';

  async up(_q: QueryRunner): Promise<void> {}

  async down(_q: QueryRunner): Promise<void> {}
}
