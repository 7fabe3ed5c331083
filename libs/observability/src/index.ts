export * from './metrics/metrics.config';
export * from './observability.module';
export * from './health/health.service';
export * from './http/http-instrumentation';
export * from './tracing';
