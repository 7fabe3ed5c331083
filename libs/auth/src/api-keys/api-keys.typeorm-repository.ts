import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, Repository } from 'typeorm';
import { managerOf, Transaction } from '@app/database';
import { ApiKeyFilter, ApiKeysRepository, NewApiKey } from './api-keys.repository';
import { ApiKeyEntity } from './entities/api-key.entity';

@Injectable()
export class TypeormApiKeysRepository extends ApiKeysRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  private repo(tx?: Transaction): Repository<ApiKeyEntity> {
    return (tx ? managerOf(tx) : this.dataSource.manager).getRepository(ApiKeyEntity);
  }

  insert(key: NewApiKey, tx?: Transaction): Promise<ApiKeyEntity> {
    const repo = this.repo(tx);
    return repo.save(repo.create(key));
  }

  async list(filter: ApiKeyFilter): Promise<{ rows: ApiKeyEntity[]; total: number }> {
    const [rows, total] = await this.repo().findAndCount({
      where: filter.includeRevoked ? {} : { revokedAt: IsNull() },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: filter.limit,
      skip: filter.offset,
    });
    return { rows, total };
  }

  findById(id: string): Promise<ApiKeyEntity | null> {
    return this.repo().findOne({ where: { id } });
  }

  findByKeyHash(keyHash: string): Promise<ApiKeyEntity | null> {
    return this.repo().findOne({ where: { keyHash } });
  }

  findByClientId(clientId: string): Promise<ApiKeyEntity | null> {
    return this.repo().findOne({ where: { clientId } });
  }

  async revoke(id: string, at: Date, tx?: Transaction): Promise<void> {
    await this.repo(tx).update({ id, revokedAt: IsNull() }, { revokedAt: at });
  }

  async recordUses(uses: ReadonlyMap<string, Date>): Promise<void> {
    await this.dataSource.query(
      `UPDATE api_keys k SET last_used_at = GREATEST(COALESCE(k.last_used_at, u.at), u.at)
         FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, at)
        WHERE k.id = u.id`,
      [[...uses.keys()], [...uses.values()].map((d) => d.toISOString())],
    );
  }
}
