import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Subscription } from 'rxjs';
import { InjectConfig } from '@app/common';
import { databaseConfig, type DatabaseConfig, StaleIfUnavailableCache } from '@app/database';
import { servingConfig, type ServingConfig } from '../serving.config';
import { CanarySetting, RegistryReader, ServableVersion, ShadowSetting } from '@app/models';
import { routesToCanary } from '../routing/canary';

export type ServingTarget =
  | { kind: 'production'; model: string }
  | { kind: 'version'; model: string; version: number }
  | { kind: 'alias'; model: string; alias: string };

/**
 * Resolves what a request should run (production + canary split, a version, an alias) without a
 * database round trip on every call. Entries are dropped as soon as any replica writes to the
 * registry (RegistryEvents, relayed between replicas by the cluster events) and expire after
 * SERVING_RESOLVE_TTL_MS, which bounds staleness when that relay is down. While the database is
 * unreachable, what was last resolved keeps being served (STALE_IF_ERROR_MS).
 */
@Injectable()
export class VersionResolver implements OnModuleDestroy {
  private readonly cache: StaleIfUnavailableCache<unknown>;
  private readonly subscription: Subscription;

  constructor(
    private readonly registry: RegistryReader,
    @InjectConfig(servingConfig) serving: ServingConfig,
    @InjectConfig(databaseConfig) database: DatabaseConfig,
  ) {
    this.cache = new StaleIfUnavailableCache(serving.resolveTtlMs, database.staleIfErrorMs);
    this.subscription = registry.events$.subscribe((event) => this.invalidate(event.modelName));
    this.subscription.add(registry.resync$.subscribe(() => [...this.cache.keys()].forEach((key) => this.cache.delete(key))));
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
        const routed = canaryTarget(target.model, production, canary, callerKey);
        return routed ? this.resolve(routed, callerKey) : production;
      }
    }
  }

  /**
   * resolve()'s answer when everything it needs is cached and fresh (undefined: call resolve()). The
   * serving hot path: a model served all day resolves without a promise.
   */
  resolveNow(target: ServingTarget, callerKey: string): ServableVersion | undefined {
    switch (target.kind) {
      case 'version':
        return this.known<ServableVersion>(`v\u0000${target.model}\u0000${target.version}`);
      case 'alias':
        return this.known<ServableVersion>(`a\u0000${target.model}\u0000${target.alias}`);
      case 'production': {
        const production = this.known<ServableVersion>(`p\u0000${target.model}`);
        const canary = this.cache.peek(`c\u0000${target.model}`);
        if (!production || !canary) return undefined;
        const routed = canaryTarget(target.model, production, canary.value as CanarySetting | null, callerKey);
        return routed ? this.resolveNow(routed, callerKey) : production;
      }
    }
  }

  private known<T>(key: string): T | undefined {
    return this.cache.peek(key)?.value as T | undefined;
  }

  /** The model's shadow, cached and dropped like the canary (the same 'traffic' registry events). */
  shadow(model: string): Promise<ShadowSetting | null> {
    return this.cached(`s\u0000${model}`, () => this.registry.shadow(model));
  }

  versions(model: string): Promise<ServableVersion[]> {
    return this.cached(`all\u0000${model}`, () => this.registry.versions(model));
  }

  invalidate(model: string): void {
    for (const key of this.cache.keys()) if (key.split('\u0000')[1] === model) this.cache.delete(key);
  }

  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    return this.cache.get(key, load) as Promise<T>;
  }

  onModuleDestroy(): void {
    this.subscription.unsubscribe();
  }
}

/** The canary version this caller is routed to, if the model has one that differs from production. */
function canaryTarget(
  model: string,
  production: ServableVersion,
  canary: CanarySetting | null,
  callerKey: string,
): Extract<ServingTarget, { kind: 'version' }> | undefined {
  if (!canary || canary.version === production.version || !routesToCanary(callerKey, model, canary.percent)) return undefined;
  return { kind: 'version', model, version: canary.version };
}
