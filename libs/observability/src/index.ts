export * from './observability.module';
export * from './health/health.service';
export * from './http/http-instrumentation';
