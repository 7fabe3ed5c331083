import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig, InjectConfig } from '@app/common';
import { UnitOfWork } from '@app/database';
import { LifecycleService } from './lifecycle.service';

const JOB = 'models.retire-sunset-versions';

/**
 * Runs the sunset sweep every SUNSET_SWEEP_INTERVAL_SECONDS (0 = off). Reads never wait for it:
 * a version past its sunset already reads as retired; the sweep makes the stored stage, history
 * and audit log catch up. Of several replicas, one sweeps at a time (an advisory lock); the
 * others skip that tick.
 */
@Injectable()
export class SunsetScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SunsetScheduler.name);
  private running = false;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly lifecycle: LifecycleService,
    private readonly scheduler: SchedulerRegistry,
    private readonly transactions: UnitOfWork,
  ) {}

  onApplicationBootstrap(): void {
    const seconds = this.config.registry.sunsetSweepIntervalSeconds;
    if (seconds <= 0) return;
    const timer = setInterval(() => void this.sweep(), seconds * 1000);
    timer.unref();
    this.scheduler.addInterval(JOB, timer);
  }

  onApplicationShutdown(): void {
    if (this.scheduler.doesExist('interval', JOB)) this.scheduler.deleteInterval(JOB);
  }

  /** One pass; overlapping ticks are skipped rather than stacked. */
  async sweep(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      const run = await this.transactions.exclusively(JOB, async () => {
        let retired = 0;
        for (let batch = await this.lifecycle.retireSunsetVersions(); batch > 0; batch = await this.lifecycle.retireSunsetVersions()) {
          retired += batch;
        }
        return retired;
      });
      const total = run.ran ? run.result : 0;
      if (total) this.logger.log(`retired ${total} version(s) past their sunset`);
      return total;
    } catch (error) {
      this.logger.error({ err: error, msg: 'sunset sweep failed; it will run again at the next tick' });
      return 0;
    } finally {
      this.running = false;
    }
  }
}
