import { Reflector } from '@nestjs/core';

type Targets = Parameters<Reflector['getAllAndOverride']>[1];

/**
 * A Reflector whose getAllAndOverride answers from a cache: route metadata (@Roles, @Public,
 * @Throttle...) is fixed once the app is built, yet the guards would re-read it through
 * reflect-metadata on every request (a dozen lookups per call for the throttler alone).
 */
export class StaticMetadataReflector extends Reflector {
  /** handler → controller class → metadata key → value */
  private readonly cache = new WeakMap<object, WeakMap<object, Map<unknown, unknown>>>();

  override getAllAndOverride<T = unknown>(key: unknown, targets: Targets): T {
    // Guards always ask about [handler, controller class]; anything else is not cached.
    const [handler, cls] = targets;
    if (targets.length !== 2 || typeof handler !== 'function' || typeof cls !== 'function') {
      return super.getAllAndOverride(key as never, targets) as T;
    }
    let byClass = this.cache.get(handler);
    if (!byClass) this.cache.set(handler, (byClass = new WeakMap()));
    let byKey = byClass.get(cls);
    if (!byKey) byClass.set(cls, (byKey = new Map()));
    if (!byKey.has(key)) byKey.set(key, super.getAllAndOverride(key as never, targets));
    return byKey.get(key) as T;
  }
}
