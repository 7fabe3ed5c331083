import type { ThrottlerStorage } from '@nestjs/throttler';

/** What a throttler storage answers: @nestjs/throttler does not export the type by name, only through ThrottlerStorage. */
export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * A storage that can also count in memory without a promise: the rate limiter's hot path counts
 * there when it can (undefined: count through `increment`, as with Redis).
 */
export interface CountsWithoutPromise {
  incrementNow(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): ThrottlerStorageRecord | undefined;
}

export function countsWithoutPromise(storage: object): storage is CountsWithoutPromise {
  return typeof (storage as Partial<CountsWithoutPromise>).incrementNow === 'function';
}
