import { Injectable, OnModuleInit } from '@nestjs/common';
import { InferenceEngineHealth } from '@app/inference';
import { HealthService } from '@app/observability';

/**
 * /health/ready answers 503 once the inference engine failed (its memory can no longer be trusted):
 * a load balancer stops sending traffic before main.ts replaces the process. Wired here because
 * observability may not depend on inference.
 */
@Injectable()
export class EngineReadiness implements OnModuleInit {
  constructor(
    private readonly health: HealthService,
    private readonly engine: InferenceEngineHealth,
  ) {}

  onModuleInit(): void {
    this.health.addReadinessCheck(async () => {
      const failure = this.engine.failed;
      return { inference: failure ? { status: 'down', reason: failure.reason, since: failure.at.toISOString() } : { status: 'up' } };
    });
  }
}
