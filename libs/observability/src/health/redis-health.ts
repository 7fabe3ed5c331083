import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { RedisConnections } from '@app/common';

/** Readiness of Redis when one is configured (queue, events): a PING within the timeout. */
@Injectable()
export class RedisHealth {
  private readonly client?: Redis;

  constructor(
    redis: RedisConnections,
    private readonly indicator: HealthIndicatorService,
  ) {
    // The probe role fails fast instead of queueing commands while Redis is away (readiness must
    // answer now) and connects on the first check; RedisConnections quits it at shutdown.
    if (redis.configured) this.client = redis.create('probe', 'health');
  }

  get configured(): boolean {
    return Boolean(this.client);
  }

  async check(timeoutMs = 1_000): Promise<HealthIndicatorResult> {
    const indicator = this.indicator.check('redis');
    try {
      if (this.client!.status === 'wait') await this.client!.connect();
      await Promise.race([
        this.client!.ping(),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
      ]);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: error instanceof Error ? error.message : String(error) });
    }
  }
}
