export * from './config-slice';
export * from './variables';
export * from './runtime.config';
export * from './config.module';
