import { Logger, OnModuleDestroy } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { countsWithoutPromise, type CountsWithoutPromise, type ThrottlerStorageRecord } from './throttler-storage-record';

export type RateLimitStorageMode = 'redis' | 'memory-fallback';

/** What the shared store must offer besides counting: a cheap liveness probe. (Its connection is closed by whoever made it.) */
export interface SharedThrottlerStorage extends ThrottlerStorage {
  ping(): Promise<unknown>;
}

export interface ResilientStorageOptions {
  /** How often the shared store is probed while falling back. */
  probeIntervalMs?: number;
  logger?: Pick<Logger, 'warn' | 'log'>;
}

/**
 * Shared counters (Redis) while they answer; per-process counters when they do not, so an outage
 * of Redis never turns into failed predictions: each replica then enforces the limit on its own
 * (a caller may get up to one limit per replica). Switching is logged once each way; while falling
 * back the shared store is probed, and counting returns to it as soon as it answers.
 */
export class ResilientThrottlerStorage implements ThrottlerStorage, CountsWithoutPromise, OnModuleDestroy {
  private current: RateLimitStorageMode = 'redis';
  private probe?: NodeJS.Timeout;
  private destroyed = false;
  private readonly logger: Pick<Logger, 'warn' | 'log'>;

  constructor(
    private readonly shared: SharedThrottlerStorage,
    private readonly local: ThrottlerStorage & Partial<OnModuleDestroy>,
    private readonly options: ResilientStorageOptions = {},
  ) {
    this.logger = options.logger ?? new Logger('RateLimitStorage');
  }

  get mode(): RateLimitStorageMode {
    return this.current;
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    if (this.current === 'redis') {
      try {
        return await this.shared.increment(key, ttl, limit, blockDuration, throttlerName);
      } catch (error) {
        this.fallBack(error);
      }
    }
    return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  /** Only while falling back (and only if the local counters can): Redis always answers through a promise. */
  incrementNow(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): ThrottlerStorageRecord | undefined {
    if (this.current === 'redis' || !countsWithoutPromise(this.local)) return undefined;
    return this.local.incrementNow(key, ttl, limit, blockDuration, throttlerName);
  }

  /** Also called when the connection is known to be lost, before any request fails on it. */
  fallBack(error?: unknown): void {
    if (this.current === 'memory-fallback' || this.destroyed) return;
    this.current = 'memory-fallback';
    const reason = error instanceof Error ? `: ${error.message}` : '';
    this.logger.warn(`rate limits fall back to per-replica counters (Redis unavailable${reason}); retrying Redis in the background`);
    this.probe = setInterval(() => void this.tryShared(), this.options.probeIntervalMs ?? 1_000);
    this.probe.unref();
  }

  /** Returns to the shared counters if they answer (also called when the connection comes back). */
  async tryShared(): Promise<void> {
    if (this.current === 'redis') return;
    try {
      await this.shared.ping();
    } catch {
      return;
    }
    if (this.mode === 'redis' || this.destroyed) return; // another probe got there first
    this.current = 'redis';
    clearInterval(this.probe);
    this.logger.log('rate limits back on the shared Redis counters');
  }

  onModuleDestroy(): void {
    this.destroyed = true;
    clearInterval(this.probe);
    this.local.onModuleDestroy?.();
  }
}
