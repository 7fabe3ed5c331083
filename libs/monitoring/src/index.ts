export * from './monitoring.config';
export * from './monitoring.module';
export { DriftService } from './services/drift.service';
export { DriftRecorder } from './services/drift-recorder';
export { driftOf } from './domain/drift-report';
export { DriftCounter } from './domain/drift-tally';
