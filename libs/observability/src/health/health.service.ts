import { Injectable, Optional, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorFunction,
  HealthIndicatorResult,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { DegradedDependencies, DomainError } from '@app/common';
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
    @Optional() private readonly degraded?: DegradedDependencies,
  ) {}

  addReadinessCheck(check: HealthIndicatorFunction): void {
    this.extraChecks.push(check);
  }

  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Ready means the database and, when configured, Redis answer (CONTRACT.md); otherwise a 503
   * problem names the failing ones. Without Redis a replica still serves predictions (rate limits
   * fall back to per-replica counters, caches to their TTLs): the details say so (`redis`,
   * `rateLimit.storage`, `clusterEvents`), and liveness stays up, so nothing restarts.
   */
  async ready(): Promise<HealthCheckResult> {
    const optional = await this.optionalChecks();
    try {
      const result = withOptional(
        await this.health.check([() => this.db.pingCheck('database', { timeout: 2_000 }), ...this.extraChecks]),
        optional,
      );
      const failing = Object.keys(result.error ?? {});
      if (failing.length) throw notReady(failing, result.details);
      return result;
    } catch (error) {
      if (error instanceof ServiceUnavailableException) {
        const result = withOptional(error.getResponse() as HealthCheckResult, optional);
        throw notReady(Object.keys(result.error ?? {}), result.details);
      }
      throw error;
    }
  }

  private async optionalChecks(): Promise<HealthIndicatorResult> {
    if (!this.redis.configured) return {};
    return { ...(await this.redis.check()), ...this.degraded?.snapshot() };
  }
}

function notReady(failing: string[], checks: HealthCheckResult['details']): DomainError {
  return new DomainError('unavailable', 'NOT_READY', `Not ready: ${failing.join(', ') || 'unknown'} unavailable.`, {
    extensions: { checks },
    headers: { 'Retry-After': '5' },
  });
}

function withOptional(result: HealthCheckResult, optional: HealthIndicatorResult): HealthCheckResult {
  const info = { ...result.info };
  const error = { ...result.error };
  for (const [name, detail] of Object.entries(optional)) (detail.status === 'up' ? info : error)[name] = detail;
  return { ...result, info, error, details: { ...result.details, ...optional } };
}
