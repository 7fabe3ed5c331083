export * from './context-activity';
export * from './logging.module';
export * from './log.config';
export * from './nest-logger';
export * from './trace-scope';
