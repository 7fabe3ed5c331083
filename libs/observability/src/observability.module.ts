import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health/health.controller';
import { HealthService } from './health/health.service';
import { RedisHealth } from './health/redis-health';
import { HttpInstrumentation } from './http/http-instrumentation';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController, MetricsController],
  providers: [HealthService, RedisHealth, MetricsService, HttpInstrumentation],
  exports: [HealthService, HttpInstrumentation],
})
export class ObservabilityModule {}
