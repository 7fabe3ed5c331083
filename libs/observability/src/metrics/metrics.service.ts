import { Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { InjectConfig, MetricsRegistry, UnauthenticatedError } from '@app/common';
import { metricsConfig, type MetricsConfig } from './metrics.config';

@Injectable()
export class MetricsService {
  constructor(
    private readonly registry: MetricsRegistry,
    @InjectConfig(metricsConfig) private readonly config: MetricsConfig,
  ) {}

  /** The text exposition; when METRICS_TOKEN is set, only for `Authorization: Bearer <token>`. */
  async scrape(authorization?: string): Promise<string> {
    const token = this.config.token;
    if (token) {
      const given = Buffer.from(authorization?.replace(/^Bearer\s+/i, '') ?? '');
      const expected = Buffer.from(token);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new UnauthenticatedError('The metrics endpoint needs its bearer token.', 'METRICS_TOKEN_REQUIRED');
      }
    }
    return this.registry.metrics();
  }
}
