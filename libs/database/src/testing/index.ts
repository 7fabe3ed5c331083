export * from './integration-database';
