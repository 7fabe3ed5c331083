import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectConfig } from '@app/common';
import { servingConfig, type ServingConfig } from '../serving.config';
import { ArtifactMissingError, RegistryReader } from '@app/models';
import { PredictionService } from './prediction.service';

/**
 * Loads every production version into the model cache while the service starts, so the first
 * prediction after a deploy does not pay for loading. Runs in the background: readiness never
 * waits for it, and a model that fails to load is logged and loaded on demand later.
 */
@Injectable()
export class ServingWarmup implements OnApplicationBootstrap {
  private readonly logger = new Logger(ServingWarmup.name);
  done: Promise<void> = Promise.resolve();

  constructor(
    private readonly registry: RegistryReader,
    private readonly predictions: PredictionService,
    @InjectConfig(servingConfig) private readonly config: ServingConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.warmOnStart) this.done = this.warm();
  }

  /** Loads every production version into the model cache (failures are logged, not thrown). */
  async warm(): Promise<void> {
    try {
      const versions = await this.registry.productionVersions();
      for (const version of versions) {
        await this.predictions.warm(version).catch((error: unknown) => {
          // A missing artifact has been logged (once per key) by the artifact storage already.
          if (error instanceof ArtifactMissingError) return;
          this.logger.warn({ err: error, msg: `could not warm ${version.modelName} v${version.version}` });
        });
      }
      if (versions.length) this.logger.log(`warmed ${versions.length} production model(s)`);
    } catch (error) {
      this.logger.warn({ err: error, msg: 'model warm-up skipped' });
    }
  }
}
