export * from './in-memory-audit-trail';
export * from './in-memory-event-outbox';
