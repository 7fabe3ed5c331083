export * from './caller';
export * from './access.decorators';
