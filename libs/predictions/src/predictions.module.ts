import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WithHeadersInterceptor } from '@app/common';
import { InferenceModule } from '@app/inference';
import { ModelsModule } from '@app/models';
import { ModelServingSettingsEntity, PredictionLogEntity, UsageEventEntity } from './entities';
import { InferenceProtocolController } from './http/inference-protocol.controller';
import { PredictController } from './http/predict.controller';
import { ServingSettingsController } from './http/serving-settings.controller';
import { UsageController } from './http/usage.controller';
import { InferenceProtocolService } from './serving/inference-protocol.service';
import { PredictionService } from './serving/prediction.service';
import { ServingSettingsService } from './serving/serving-settings.service';
import { ServingWarmup } from './serving/serving-warmup';
import { VersionResolver } from './serving/version-resolver';
import { UsageRecorder } from './usage/usage-recorder';
import { UsageService } from './usage/usage.service';

/** v1 (TF Serving style) and v2 (Open Inference Protocol) predictions over the registry and runtime. */
@Module({
  imports: [TypeOrmModule.forFeature([UsageEventEntity, ModelServingSettingsEntity, PredictionLogEntity]), InferenceModule, ModelsModule],
  controllers: [PredictController, InferenceProtocolController, UsageController, ServingSettingsController],
  providers: [
    VersionResolver,
    PredictionService,
    InferenceProtocolService,
    ServingSettingsService,
    ServingWarmup,
    UsageRecorder,
    UsageService,
    { provide: APP_INTERCEPTOR, useClass: WithHeadersInterceptor },
  ],
  exports: [PredictionService, UsageRecorder],
})
export class PredictionsModule {}
