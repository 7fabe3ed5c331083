export * from './integration-database';
export * from './in-memory-unit-of-work';
