import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService, HealthIndicatorFunction, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { DomainError } from '@app/common';
import { RedisHealth } from './redis-health';

/** Extra readiness checks other modules contribute (Redis, queue...), registered at start-up. */
export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

@Injectable()
export class HealthService {
  private readonly extraChecks: HealthIndicatorFunction[] = [];

  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redis: RedisHealth,
  ) {
    if (redis.configured) this.extraChecks.push(() => redis.check());
  }

  addReadinessCheck(check: HealthIndicatorFunction): void {
    this.extraChecks.push(check);
  }

  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready means every dependency answers; otherwise a 503 problem names the failing ones. */
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.db.pingCheck('database', { timeout: 2_000 }), ...this.extraChecks]);
    } catch (error) {
      if (error instanceof ServiceUnavailableException) {
        const result = error.getResponse() as HealthCheckResult;
        const failing = Object.keys(result.error ?? {});
        throw new DomainError('unavailable', 'NOT_READY', `Not ready: ${failing.join(', ') || 'unknown'} unavailable.`, {
          extensions: { checks: result.details },
          headers: { 'Retry-After': '5' },
        });
      }
      throw error;
    }
  }
}
