import { z } from 'zod';
import { composeConfig, ConfigValidationError, configVariables, defineConfig, loadConfigSlice } from './config-slice';
import { int, sharedVariables } from './variables';

const queue = defineConfig({
  key: 'queue',
  variables: { NODE_ENV: sharedVariables.NODE_ENV, QUEUE_SIZE: int(10, 1, 100), QUEUE_NAME: z.string().optional() },
  check: (e, issue) => {
    if (e.NODE_ENV === 'production' && !e.QUEUE_NAME) issue('QUEUE_NAME', 'is required in production');
  },
  build: (e) => ({ size: e.QUEUE_SIZE, name: e.QUEUE_NAME ?? 'default', nested: { env: e.NODE_ENV } }),
});
const cache = defineConfig({
  key: 'cache',
  variables: { NODE_ENV: sharedVariables.NODE_ENV, CACHE_ENTRIES: int(5, 1) },
  build: (e) => ({ entries: e.CACHE_ENTRIES }),
});

describe('composeConfig', () => {
  it('gives each slice its typed value under its key, with defaults, frozen', () => {
    const config = composeConfig([queue, cache], {});
    expect(config).toEqual({ queue: { size: 10, name: 'default', nested: { env: 'development' } }, cache: { entries: 5 } });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.queue.nested)).toBe(true);
  });

  it('validates every slice in one pass and names every variable at fault', () => {
    try {
      composeConfig([queue, cache], { QUEUE_SIZE: '1000', CACHE_ENTRIES: 'many' });
      throw new Error('expected a ConfigValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigValidationError);
      expect((error as ConfigValidationError).issues.map((i) => i.variable).sort()).toEqual(['CACHE_ENTRIES', 'QUEUE_SIZE']);
    }
  });

  it("runs each slice's cross-variable rules on the validated values", () => {
    expect(() => composeConfig([queue, cache], { NODE_ENV: 'production' })).toThrow(/QUEUE_NAME: is required in production/);
    expect(composeConfig([queue, cache], { NODE_ENV: 'production', QUEUE_NAME: 'jobs' }).queue.name).toBe('jobs');
  });

  it('refuses two slices that read one variable through different definitions, and two slices with one key', () => {
    const clash = defineConfig({ key: 'clash', variables: { QUEUE_SIZE: z.string() }, build: (e) => e.QUEUE_SIZE });
    expect(() => composeConfig([queue, clash], {})).toThrow(/QUEUE_SIZE is defined by two slices differently/);
    const twin = defineConfig({ key: 'cache', variables: {}, build: () => 1 });
    expect(() => composeConfig([cache, twin], {})).toThrow(/share the key cache/);
  });

  it('loads one slice on its own (unit tests) and lists the variables a set of slices reads', () => {
    expect(loadConfigSlice(cache, { CACHE_ENTRIES: '7' })).toEqual({ entries: 7 });
    expect(configVariables([queue, cache])).toEqual(['CACHE_ENTRIES', 'NODE_ENV', 'QUEUE_NAME', 'QUEUE_SIZE']);
  });

  it('gives each slice its own injection token', () => {
    expect(queue.token).not.toBe(cache.token);
    expect(typeof queue.token).toBe('symbol');
  });
});
