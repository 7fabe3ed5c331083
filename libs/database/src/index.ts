export * from './database.module';
export * from './database-options';
export * from './migrate';
export * from './migrations';
export * from './database-unavailable';
export * from './stale-if-unavailable-cache';
export * from './run-exclusively';
