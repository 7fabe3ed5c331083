import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { managerOf, Transaction } from '@app/database';
import { EventOutbox, eventTraceId, OutboxEventType } from './event-outbox';
import { OutboxEventEntity } from './outbox-event.entity';

@Injectable()
export class TypeormEventOutbox extends EventOutbox {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async add(type: OutboxEventType, data: Record<string, unknown>, tx?: Transaction, traceId?: string | null): Promise<void> {
    const row = Object.assign(new OutboxEventEntity(), { type, data, traceId: eventTraceId(traceId) });
    await managerOf(tx, this.dataSource.manager).getRepository(OutboxEventEntity).save(row, { reload: false });
  }
}
