import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { CountsWithoutPromise, ThrottlerStorageRecord } from './throttler-storage-record';

interface Window {
  start: number;
  hits: number;
  blockedUntil: number;
  ttl: number;
}

/**
 * Rate-limit counters in O(1) per request: a fixed window per caller that opens at the caller's
 * first request, so a burst is counted from where it starts (not from wall-clock minute marks) and
 * `limit` requests are always allowed and the next refused. @nestjs/throttler's default storage keeps
 * one timestamp per hit and scans them on every request, which at a few thousand requests per second
 * per caller costs more than the request itself, and spreads all of them into Math.min (a RangeError
 * past ~100k hits).
 */
@Injectable()
export class FixedWindowThrottlerStorage implements ThrottlerStorage, CountsWithoutPromise, OnModuleDestroy {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    return this.incrementNow(key, ttl, limit, blockDuration, throttlerName);
  }

  incrementNow(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): ThrottlerStorageRecord {
    const now = this.now();
    const id = `${throttlerName}\u0000${key}`;
    let w = this.windows.get(id);
    if (!w || w.ttl !== ttl || now >= w.start + ttl) {
      w = { start: now, hits: 0, blockedUntil: w?.blockedUntil ?? 0, ttl };
      this.windows.set(id, w);
    }
    const timeToExpire = Math.ceil((w.start + ttl - now) / 1000);
    if (w.blockedUntil > now) {
      return { totalHits: limit + 1, timeToExpire, isBlocked: true, timeToBlockExpire: Math.ceil((w.blockedUntil - now) / 1000) };
    }
    if (w.hits >= limit) {
      // Blocked until the window ends (or for blockDuration when one is configured).
      w.blockedUntil = blockDuration ? now + blockDuration : w.start + ttl;
      return {
        totalHits: w.hits + 1,
        timeToExpire,
        isBlocked: true,
        timeToBlockExpire: Math.max(1, Math.ceil((w.blockedUntil - now) / 1000)),
      };
    }
    w.hits += 1;
    return { totalHits: w.hits, timeToExpire, isBlocked: false, timeToBlockExpire: 0 };
  }

  /** Forgets windows that ended (and are not blocking): memory stays bounded by active callers. */
  sweep(): void {
    const now = this.now();
    for (const [id, w] of this.windows) {
      if (now >= w.start + w.ttl && w.blockedUntil <= now) this.windows.delete(id);
    }
  }

  get size(): number {
    return this.windows.size;
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }
}
