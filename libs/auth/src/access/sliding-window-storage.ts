import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';

interface Window {
  start: number;
  current: number;
  previous: number;
  blockedUntil: number;
  ttl: number;
}

/**
 * Rate-limit counters in O(1) per request: a sliding window estimated from two fixed windows
 * (previous count weighted by how much of it still overlaps the sliding window, plus the current
 * count). @nestjs/throttler's default storage keeps one timestamp per hit and scans them on every
 * request, which at a few thousand requests per second per caller costs more than the request,
 * and spreads all of them into Math.min (a RangeError past ~100k hits).
 */
@Injectable()
export class SlidingWindowThrottlerStorage implements ThrottlerStorage, OnModuleDestroy {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const now = this.now();
    const id = `${throttlerName}\u0000${key}`;
    let w = this.windows.get(id);
    const start = Math.floor(now / ttl) * ttl;
    if (!w || w.ttl !== ttl) {
      w = { start, current: 0, previous: 0, blockedUntil: 0, ttl };
      this.windows.set(id, w);
    } else if (start !== w.start) {
      w.previous = start - w.start === ttl ? w.current : 0;
      w.current = 0;
      w.start = start;
    }
    const timeToExpire = Math.ceil((w.start + ttl - now) / 1000);
    if (w.blockedUntil > now) {
      return { totalHits: limit + 1, timeToExpire, isBlocked: true, timeToBlockExpire: Math.ceil((w.blockedUntil - now) / 1000) };
    }
    const overlap = 1 - (now - w.start) / ttl;
    const estimate = Math.floor(w.previous * overlap) + w.current;
    if (estimate >= limit) {
      w.blockedUntil = now + (blockDuration || ttl);
      return { totalHits: estimate + 1, timeToExpire, isBlocked: true, timeToBlockExpire: Math.ceil((w.blockedUntil - now) / 1000) };
    }
    w.current += 1;
    return { totalHits: estimate + 1, timeToExpire, isBlocked: false, timeToBlockExpire: 0 };
  }

  /** Forgets callers idle for two windows (and not blocked): memory stays bounded by active callers. */
  sweep(): void {
    const now = this.now();
    for (const [id, w] of this.windows) {
      if (now >= w.start + 2 * w.ttl && w.blockedUntil <= now) this.windows.delete(id);
    }
  }

  get size(): number {
    return this.windows.size;
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }
}
