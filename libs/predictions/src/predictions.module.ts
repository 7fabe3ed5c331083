import { ServingTaps } from './serving/serving-taps';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ScheduledJobs, TypeormUnitOfWork, UnitOfWork } from '@app/database';
import { InferenceModule } from '@app/inference';
import { ModelsModule } from '@app/models';
import { ModelServingSettingsEntity, PredictionLogEntity, UsageEventEntity } from './entities';
import { InferenceProtocolController } from './http/inference-protocol.controller';
import { PredictController } from './http/predict.controller';
import { ServingSettingsController } from './http/serving-settings.controller';
import { TfServingController } from './http/tf-serving.controller';
import { UsageController } from './http/usage.controller';
import { InferenceProtocolService } from './serving/inference-protocol.service';
import { PredictionLogsRepository } from './serving/prediction-logs.repository';
import { TypeormPredictionLogsRepository } from './serving/prediction-logs.typeorm-repository';
import { PredictionService } from './serving/prediction.service';
import { ServingSettingsRepository } from './serving/serving-settings.repository';
import { ServingSettingsService } from './serving/serving-settings.service';
import { TypeormServingSettingsRepository } from './serving/serving-settings.typeorm-repository';
import { ServingWarmup } from './serving/serving-warmup';
import { TfServingService } from './tf-serving/tf-serving.service';
import { VersionResolver } from './serving/version-resolver';
import { InferenceStats } from './stats/inference-stats';
import { UsageEventsRepository } from './usage/usage-events.repository';
import { TypeormUsageEventsRepository } from './usage/usage-events.typeorm-repository';
import { UsageRecorder } from './usage/usage-recorder';
import { PayloadLogRecorder } from './serving/payload-log-recorder';
import { UsageService } from './usage/usage.service';
import { ShadowReportController } from './http/shadow-report.controller';
import { ShadowComparisonsRepository } from './shadow/shadow-comparisons.repository';
import { TypeormShadowComparisonsRepository } from './shadow/shadow-comparisons.typeorm-repository';
import { ShadowReportService } from './shadow/shadow-report.service';
import { ShadowRunner } from './shadow/shadow-runner';

/** v1 (TF Serving style) and v2 (Open Inference Protocol) predictions over the registry and runtime. */
import { SunsetsController } from './http/sunsets.controller';
import { SunsetsService } from './usage/sunsets.service';
@Module({
  imports: [TypeOrmModule.forFeature([UsageEventEntity, ModelServingSettingsEntity, PredictionLogEntity]), InferenceModule, ModelsModule],
  controllers: [
    PredictController,
    InferenceProtocolController,
    TfServingController,
    UsageController,
    ServingSettingsController,
    ShadowReportController,
    SunsetsController,
  ],
  providers: [
    ServingTaps,
    { provide: UsageEventsRepository, useClass: TypeormUsageEventsRepository },
    { provide: ServingSettingsRepository, useClass: TypeormServingSettingsRepository },
    { provide: PredictionLogsRepository, useClass: TypeormPredictionLogsRepository },
    { provide: ShadowComparisonsRepository, useClass: TypeormShadowComparisonsRepository },
    { provide: UnitOfWork, useClass: TypeormUnitOfWork },
    ScheduledJobs,
    VersionResolver,
    PredictionService,
    InferenceProtocolService,
    TfServingService,
    InferenceStats,
    ServingSettingsService,
    PayloadLogRecorder,
    ServingWarmup,
    UsageRecorder,
    UsageService,
    SunsetsService,
    ShadowRunner,
    ShadowReportService,
  ],
  exports: [PredictionService, UsageRecorder, ServingTaps],
})
export class PredictionsModule {}
