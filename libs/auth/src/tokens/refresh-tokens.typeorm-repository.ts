import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, Repository } from 'typeorm';
import { managerOf, Transaction } from '@app/database';
import { RefreshTokenEntity } from './entities/refresh-token.entity';
import { NewRefreshToken, RefreshTokensRepository } from './refresh-tokens.repository';

@Injectable()
export class TypeormRefreshTokensRepository extends RefreshTokensRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  private repo(tx?: Transaction): Repository<RefreshTokenEntity> {
    return (tx ? managerOf(tx) : this.dataSource.manager).getRepository(RefreshTokenEntity);
  }

  async insert(token: NewRefreshToken, tx?: Transaction): Promise<void> {
    await this.repo(tx).insert(token);
  }

  findOwnerByHash(tokenHash: string, tx: Transaction): Promise<Pick<RefreshTokenEntity, 'id' | 'userId'> | null> {
    return this.repo(tx).findOne({ where: { tokenHash }, select: { id: true, userId: true } });
  }

  findByHash(tokenHash: string, tx: Transaction): Promise<RefreshTokenEntity | null> {
    return this.repo(tx).findOne({ where: { tokenHash } });
  }

  findByIdForUpdate(id: string, tx: Transaction): Promise<RefreshTokenEntity | null> {
    return this.repo(tx).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  async markUsed(id: string, at: Date, tx: Transaction): Promise<void> {
    await this.repo(tx).update({ id }, { usedAt: at });
  }

  async revokeFamily(familyId: string, at: Date, tx: Transaction): Promise<void> {
    await this.repo(tx).update({ familyId, revokedAt: IsNull() }, { revokedAt: at });
  }

  async revokeAllForUser(userId: string, tx: Transaction): Promise<void> {
    await this.repo(tx)
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'now()' })
      .where('user_id = :userId AND revoked_at IS NULL', { userId })
      .execute();
  }
}
