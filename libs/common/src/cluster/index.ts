export * from './cluster-events';
export * from './cluster.module';
export * from './degraded-dependencies';
export * from './in-process-cluster-events';
export * from './redis-cluster-events';
