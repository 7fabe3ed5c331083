import { Reflector } from '@nestjs/core';

type Targets = Parameters<Reflector['getAllAndOverride']>[1];

/**
 * A Reflector whose getAllAndOverride answers from a cache: route metadata (@Roles, @Public,
 * @Throttle...) is fixed once the app is built, yet the guards would re-read it through
 * reflect-metadata on every request (a dozen lookups per call for the throttler alone).
 */
export class StaticMetadataReflector extends Reflector {
  private readonly cache = new WeakMap<object, Map<unknown, unknown>>();

  override getAllAndOverride<T = unknown>(key: unknown, targets: Targets): T {
    // Guards always ask about [handler, controller class]; anything else is not cached.
    if (targets.length !== 2 || typeof targets[0] !== 'function') return super.getAllAndOverride(key as never, targets) as T;
    let byHandler = this.cache.get(targets[0]);
    if (!byHandler) {
      byHandler = new Map();
      this.cache.set(targets[0], byHandler);
    }
    const cacheKey = `${String(key)}\u0000${(targets[1] as { name?: string } | undefined)?.name ?? ''}`;
    if (!byHandler.has(cacheKey)) byHandler.set(cacheKey, super.getAllAndOverride(key as never, targets));
    return byHandler.get(cacheKey) as T;
  }
}
