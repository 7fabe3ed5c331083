import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { managerOf, Transaction } from '@app/database';
import { DatasetsRepository, NewDataset } from './datasets.repository';
import { DatasetEntity } from './entities/dataset.entity';

@Injectable()
export class TypeOrmDatasetsRepository extends DatasetsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {
    super();
  }

  create(dataset: NewDataset, uow?: Transaction): Promise<DatasetEntity> {
    const repo = managerOf(uow, this.db.manager).getRepository(DatasetEntity);
    return repo.save(repo.create({ ...dataset, deletedAt: null }));
  }

  findLive(id: string): Promise<DatasetEntity | null> {
    return this.db.getRepository(DatasetEntity).findOne({ where: { id, deletedAt: IsNull() } });
  }

  list(filter: { ownerId?: string }, page: { limit: number; offset: number }): Promise<[DatasetEntity[], number]> {
    return this.db.getRepository(DatasetEntity).findAndCount({
      where: filter.ownerId !== undefined ? { ownerId: filter.ownerId } : {},
      order: { createdAt: 'DESC', id: 'DESC' },
      take: page.limit,
      skip: page.offset,
    });
  }

  async lockLiveForShare(id: string, uow: Transaction): Promise<{ sha256: string } | null> {
    const rows = (await managerOf(uow, this.db.manager).query(
      `SELECT sha256 FROM datasets WHERE id = $1 AND deleted_at IS NULL FOR SHARE`,
      [id],
    )) as {
      sha256: string;
    }[];
    return rows[0] ?? null;
  }

  async lockForUpdate(id: string, uow: Transaction): Promise<void> {
    await managerOf(uow, this.db.manager).query(`SELECT id FROM datasets WHERE id = $1 FOR UPDATE`, [id]);
  }

  async softDelete(id: string, uow?: Transaction): Promise<void> {
    await managerOf(uow, this.db.manager).getRepository(DatasetEntity).softDelete({ id });
  }
}
