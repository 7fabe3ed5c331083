export * from './event-outbox';
export * from './outbox-event.entity';
