import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { managerOf, Transaction } from '@app/database';
import { WebhookEntity } from '../entities/webhook.entity';
import { NewWebhook, WebhooksRepository } from './webhooks.repository';

@Injectable()
export class TypeormWebhooksRepository extends WebhooksRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  private repo(tx?: Transaction): Repository<WebhookEntity> {
    return managerOf(tx, this.dataSource.manager).getRepository(WebhookEntity);
  }

  insert(webhook: NewWebhook, tx?: Transaction): Promise<WebhookEntity> {
    const repo = this.repo(tx);
    return repo.save(repo.create(webhook));
  }

  async list(page: { limit: number; offset: number }): Promise<{ rows: WebhookEntity[]; total: number }> {
    const [rows, total] = await this.repo().findAndCount({ order: { createdAt: 'ASC', id: 'ASC' }, take: page.limit, skip: page.offset });
    return { rows, total };
  }

  findById(id: string): Promise<WebhookEntity | null> {
    return this.repo().findOne({ where: { id } });
  }

  async delete(id: string, tx?: Transaction): Promise<boolean> {
    const result = await this.repo(tx).delete({ id });
    return (result.affected ?? 0) > 0;
  }
}
