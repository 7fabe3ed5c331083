import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Subscription } from 'rxjs';
import { AppConfig, InjectConfig } from '@app/common';
import { CanarySetting, RegistryReader, ServableVersion } from '@app/models';
import { routesToCanary } from '../routing/canary';

export type ServingTarget =
  | { kind: 'production'; model: string }
  | { kind: 'version'; model: string; version: number }
  | { kind: 'alias'; model: string; alias: string };

interface Cached<T> {
  value: Promise<T>;
  expiresAt: number;
}

/**
 * Resolves what a request should run (production + canary split, a version, an alias) without a
 * database round trip on every call. Entries are dropped as soon as any replica writes to the
 * registry (RegistryEvents, relayed between replicas by the cluster events) and expire after
 * SERVING_RESOLVE_TTL_MS, which bounds staleness when that relay is down.
 */
@Injectable()
export class VersionResolver implements OnModuleDestroy {
  private readonly cache = new Map<string, Cached<unknown>>();
  private readonly subscription: Subscription;

  constructor(
    private readonly registry: RegistryReader,
    @InjectConfig() private readonly config: AppConfig,
  ) {
    this.subscription = registry.events$.subscribe((event) => this.invalidate(event.modelName));
    this.subscription.add(registry.resync$.subscribe(() => this.cache.clear()));
  }

  async resolve(target: ServingTarget, callerKey: string): Promise<ServableVersion> {
    switch (target.kind) {
      case 'version':
        return this.cached(`v\u0000${target.model}\u0000${target.version}`, () => this.registry.version(target.model, target.version));
      case 'alias':
        return this.cached(`a\u0000${target.model}\u0000${target.alias}`, () => this.registry.alias(target.model, target.alias));
      case 'production': {
        const [production, canary] = await Promise.all([
          this.cached(`p\u0000${target.model}`, () => this.registry.productionVersion(target.model)),
          this.cached<CanarySetting | null>(`c\u0000${target.model}`, () => this.registry.canary(target.model)),
        ]);
        if (canary && canary.version !== production.version && routesToCanary(callerKey, target.model, canary.percent)) {
          return this.resolve({ kind: 'version', model: target.model, version: canary.version }, callerKey);
        }
        return production;
      }
    }
  }

  versions(model: string): Promise<ServableVersion[]> {
    return this.cached(`all\u0000${model}`, () => this.registry.versions(model));
  }

  invalidate(model: string): void {
    for (const key of this.cache.keys()) if (key.split('\u0000')[1] === model) this.cache.delete(key);
  }

  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.cache.get(key) as Cached<T> | undefined;
    if (hit && hit.expiresAt > now) return hit.value;
    const value = load();
    this.cache.set(key, { value, expiresAt: now + this.config.serving.resolveTtlMs });
    // Failures (404s) are not remembered: the next request asks again.
    value.catch(() => this.cache.get(key)?.value === value && this.cache.delete(key));
    return value;
  }

  onModuleDestroy(): void {
    this.subscription.unsubscribe();
  }
}
