import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditEventsRepository } from './audit-events.repository';
import { TypeormAuditEventsRepository } from './audit-events.typeorm-repository';
import { AuditController } from './audit.controller';
import { AuditTrail, TypeormAuditTrail } from './audit-trail';
import { AuditService } from './audit.service';
import { AuditEventEntity } from './entities/audit-event.entity';
import { EventOutbox } from './outbox/event-outbox';
import { OutboxEventEntity } from './outbox/outbox-event.entity';
import { TypeormEventOutbox } from './outbox/typeorm-event-outbox';

/**
 * Import it wherever an action must leave a trace; AuditService.record() is the one way in. The
 * event outbox (EventOutbox: what webhooks deliver) lives here too: both are written in the
 * transaction of the change they describe.
 */
@Module({
  imports: [TypeOrmModule.forFeature([AuditEventEntity, OutboxEventEntity])],
  controllers: [AuditController],
  providers: [
    { provide: AuditEventsRepository, useClass: TypeormAuditEventsRepository },
    AuditService,
    { provide: AuditTrail, useClass: TypeormAuditTrail },
    { provide: EventOutbox, useClass: TypeormEventOutbox },
  ],
  exports: [AuditService, AuditTrail, EventOutbox],
})
export class AuditModule {}
