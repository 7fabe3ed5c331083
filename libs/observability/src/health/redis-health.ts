import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import Redis from 'ioredis';
import { AppConfig, InjectConfig } from '@app/common';

/** Readiness of Redis when one is configured (queue, events): a PING within the timeout. */
@Injectable()
export class RedisHealth implements OnApplicationShutdown {
  private readonly client?: Redis;

  constructor(
    @InjectConfig() config: AppConfig,
    private readonly indicator: HealthIndicatorService,
  ) {
    if (config.redisUrl) {
      // Fail fast instead of queueing commands while Redis is away: readiness must answer now.
      this.client = new Redis(config.redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 2_000 });
      this.client.on('error', () => undefined);
    }
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

  async onApplicationShutdown(): Promise<void> {
    this.client?.disconnect();
  }
}
