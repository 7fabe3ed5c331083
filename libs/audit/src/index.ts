export * from './audit.module';
export * from './audit.service';
export * from './dto/audit-event.dto';
export * from './entities/audit-event.entity';
export { redactSecrets } from './redact';
export * from './audit-trail';
export * from './audit-events.repository';
export * from './outbox';
