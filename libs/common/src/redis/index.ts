export * from './redis-connections';
export * from './redis-options';
export * from './redis.config';
