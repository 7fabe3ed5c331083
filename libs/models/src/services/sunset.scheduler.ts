import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectConfig } from '@app/common';
import { registryConfig, type RegistryConfig } from '../registry.config';
import { ScheduledJob, ScheduledJobs } from '@app/database';
import { LifecycleService } from './lifecycle.service';

const JOB = 'models.retire-sunset-versions';

/**
 * Runs the sunset sweep every SUNSET_SWEEP_INTERVAL_SECONDS (0 = off). Reads never wait for it:
 * a version past its sunset already reads as retired; the sweep makes the stored stage, history
 * and audit log catch up. Of several replicas, one sweeps at a time (an exclusive scheduled job);
 * the others skip that tick.
 */
@Injectable()
export class SunsetScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(SunsetScheduler.name);
  private readonly job: ScheduledJob<number>;

  constructor(
    @InjectConfig(registryConfig) private readonly config: RegistryConfig,
    private readonly lifecycle: LifecycleService,
    jobs: ScheduledJobs,
  ) {
    this.job = jobs.define(JOB, () => this.retireAll(), { exclusive: true });
  }

  onApplicationBootstrap(): void {
    this.job.every(this.config.sunsetSweepIntervalSeconds * 1000);
  }

  /** One pass (joins a pass in progress). Never throws: a failed pass is logged and the next tick retries. */
  async sweep(): Promise<number> {
    try {
      const run = await this.job.run();
      return run.ran ? run.result : 0;
    } catch (error) {
      this.logger.error({ err: error, msg: 'sunset sweep failed; it will run again at the next tick' });
      return 0;
    }
  }

  private async retireAll(): Promise<number> {
    let retired = 0;
    for (let batch = await this.lifecycle.retireSunsetVersions(); batch > 0; batch = await this.lifecycle.retireSunsetVersions()) {
      retired += batch;
    }
    if (retired) this.logger.log(`retired ${retired} version(s) past their sunset`);
    return retired;
  }
}
