import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditEventsRepository } from './audit-events.repository';
import { TypeormAuditEventsRepository } from './audit-events.typeorm-repository';
import { AuditController } from './audit.controller';
import { AuditTrail, TypeormAuditTrail } from './audit-trail';
import { AuditService } from './audit.service';
import { AuditEventEntity } from './entities/audit-event.entity';

/** Import it wherever an action must leave a trace; AuditService.record() is the one way in. */
@Module({
  imports: [TypeOrmModule.forFeature([AuditEventEntity])],
  controllers: [AuditController],
  providers: [
    { provide: AuditEventsRepository, useClass: TypeormAuditEventsRepository },
    AuditService,
    { provide: AuditTrail, useClass: TypeormAuditTrail },
  ],
  exports: [AuditService, AuditTrail],
})
export class AuditModule {}
