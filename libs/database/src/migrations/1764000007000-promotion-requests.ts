import { MigrationInterface, QueryRunner } from 'typeorm';

export class PromotionRequests1764000007000 implements MigrationInterface {
  name = 'PromotionRequests1764000007000';

  async up(_q: QueryRunner): Promise<void> {}

  async down(_q: QueryRunner): Promise<void> {}
}
