export * from './caller';
export * from './access.decorators';
export * from './caller-access';
export * from './streams.config';
