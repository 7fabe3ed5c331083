import { DynamicModule, Module } from '@nestjs/common';
import { ScheduledJobs, TypeormUnitOfWork, UnitOfWork } from '@app/database';
import { InferenceModule } from '@app/inference';
import { ModelsModule } from '@app/models';
import { PredictionsModule } from '@app/predictions';
import { DriftController } from './http/drift.controller';
import { DriftCountsRepository } from './repositories/drift-counts.repository';
import { TypeormDriftCountsRepository } from './repositories/drift-counts.typeorm-repository';
import { DriftRecorder } from './services/drift-recorder';
import { DriftService } from './services/drift.service';
import { ProfilesService } from './services/profiles.service';

/**
 * Drift monitoring: versions' profiles (the registry keeps them), counting what serving answers
 * (a tap on PredictionService), the drift report and gauges. `training` is the app's training
 * module (datasets to build profiles from), passed in so that it is the same instance.
 */
@Module({})
export class MonitoringModule {
  static forRoot(training: DynamicModule): DynamicModule {
    return {
      module: MonitoringModule,
      imports: [ModelsModule, PredictionsModule, InferenceModule, training],
      controllers: [DriftController],
      providers: [
        { provide: DriftCountsRepository, useClass: TypeormDriftCountsRepository },
        { provide: UnitOfWork, useClass: TypeormUnitOfWork },
        ScheduledJobs,
        DriftRecorder,
        DriftService,
        ProfilesService,
      ],
      exports: [DriftService],
    };
  }
}
