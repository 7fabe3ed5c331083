import { Subject } from 'rxjs';
import { loadConfigSlice } from '@app/common';
import { databaseConfig } from '@app/database';
import type { CanarySetting, RegistryEvent, RegistryReader, ServableVersion } from '@app/models';
import { servingConfig } from '../serving.config';
import { VersionResolver } from './version-resolver';

const version = (n: number) => ({ modelName: 'iris', version: n }) as ServableVersion;

function setup(canary: CanarySetting | null = null) {
  const events$ = new Subject<RegistryEvent>();
  const reads: string[] = [];
  const registry = {
    events$,
    resync$: new Subject<void>(),
    productionVersion: async () => (reads.push('production'), version(1)),
    canary: async () => (reads.push('canary'), canary),
    version: async (_model: string, n: number) => (reads.push(`version ${n}`), version(n)),
    alias: async () => (reads.push('alias'), version(3)),
  } as unknown as RegistryReader;
  const resolver = new VersionResolver(
    registry,
    loadConfigSlice(servingConfig, { SERVING_RESOLVE_TTL_MS: '1000' }),
    loadConfigSlice(databaseConfig, {}),
  );
  return { resolver, events$, reads };
}

describe('VersionResolver.resolveNow (the serving hot path, without a promise)', () => {
  afterEach(() => jest.useRealTimers());

  it('answers what resolve() answered, once cached, for production, a version and an alias', async () => {
    const { resolver, reads } = setup();
    const targets = [
      { kind: 'production', model: 'iris' },
      { kind: 'version', model: 'iris', version: 2 },
      { kind: 'alias', model: 'iris', alias: 'champion' },
    ] as const;
    for (const target of targets) {
      expect(resolver.resolveNow(target, 'caller')).toBeUndefined();
      const resolved = await resolver.resolve(target, 'caller');
      expect(resolver.resolveNow(target, 'caller')).toBe(resolved);
    }
    expect(reads).toEqual(['production', 'canary', 'version 2', 'alias']);
  });

  it('follows the canary as resolve() does, and keeps what it knows when another model changes', async () => {
    const { resolver } = setup({ version: 5, percent: 100 } as CanarySetting);
    const production = { kind: 'production', model: 'iris' } as const;
    expect(await resolver.resolve(production, 'caller')).toEqual(version(5));
    expect(resolver.resolveNow(production, 'caller')).toEqual(version(5));
    resolver.invalidate('wine');
    expect(resolver.resolveNow(production, 'caller')).toEqual(version(5));
  });

  it('answers nothing once a registry event or the TTL drops what it knew', async () => {
    jest.useFakeTimers({ now: 0 });
    const { resolver, events$ } = setup();
    const target = { kind: 'version', model: 'iris', version: 2 } as const;
    await resolver.resolve(target, 'caller');
    events$.next({ modelName: 'iris' } as RegistryEvent);
    expect(resolver.resolveNow(target, 'caller')).toBeUndefined();
    await resolver.resolve(target, 'caller');
    expect(resolver.resolveNow(target, 'caller')).toEqual(version(2));
    jest.setSystemTime(1_000);
    expect(resolver.resolveNow(target, 'caller')).toBeUndefined();
  });
});
