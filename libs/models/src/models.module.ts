import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@app/audit';
import { ScheduledJobs, TypeormUnitOfWork, UnitOfWork } from '@app/database';
import { InferenceModule } from '@app/inference';
import { MODEL_REGISTRY_ENTITIES } from './entities';
import { ModelAliasesController } from './http/model-aliases.controller';
import { ModelVersionsController } from './http/model-versions.controller';
import { ModelsController } from './http/models.controller';
import { MultipartArtifactInterceptor } from './http/multipart-artifact.interceptor';
import { ModelAliasesRepository } from './repositories/model-aliases.repository';
import { TypeormModelAliasesRepository } from './repositories/model-aliases.typeorm-repository';
import { ModelTrafficRepository } from './repositories/model-traffic.repository';
import { TypeormModelTrafficRepository } from './repositories/model-traffic.typeorm-repository';
import { ModelVersionsRepository } from './repositories/model-versions.repository';
import { TypeormModelVersionsRepository } from './repositories/model-versions.typeorm-repository';
import { ModelsRepository } from './repositories/models.repository';
import { TypeormModelsRepository } from './repositories/models.typeorm-repository';
import { AliasesService } from './services/aliases.service';
import { LifecycleService } from './services/lifecycle.service';
import { ModelVersionsService } from './services/model-versions.service';
import { ModelsService } from './services/models.service';
import { QuantizationService } from './services/quantization.service';
import { RegistryEvents } from './services/registry-events';
import { RegistryReader } from './services/registry-reader';
import { SunsetScheduler } from './services/sunset.scheduler';
import { TrafficService } from './services/traffic.service';
import { ARTIFACT_STORAGE } from './storage/artifact-storage';
import { artifactStorageProvider } from './storage/artifact-storage.provider';
import { PromotionRequestsController } from './http/promotion-requests.controller';
import { PromotionRequestsRepository } from './repositories/promotion-requests.repository';
import { TypeormPromotionRequestsRepository } from './repositories/promotion-requests.typeorm-repository';
import { PromotionsService } from './services/promotions.service';
import { VersionProfilesRepository } from './repositories/version-profiles.repository';
import { TypeormVersionProfilesRepository } from './repositories/version-profiles.typeorm-repository';
import { VersionProfilesService } from './services/version-profiles.service';

/**
 * The model registry: models, versions and their artifacts, lifecycle, aliases and traffic
 * settings. Serving and training use it through RegistryReader / ModelVersionsService.
 */
@Module({
  imports: [TypeOrmModule.forFeature(MODEL_REGISTRY_ENTITIES), AuditModule, InferenceModule],
  controllers: [ModelsController, ModelVersionsController, ModelAliasesController, PromotionRequestsController],
  providers: [
    // Persistence: the repositories' TypeORM implementations and transactions; AuditModule
    // provides the audit trail.
    { provide: ModelsRepository, useClass: TypeormModelsRepository },
    { provide: ModelVersionsRepository, useClass: TypeormModelVersionsRepository },
    { provide: ModelAliasesRepository, useClass: TypeormModelAliasesRepository },
    { provide: ModelTrafficRepository, useClass: TypeormModelTrafficRepository },
    { provide: PromotionRequestsRepository, useClass: TypeormPromotionRequestsRepository },
    { provide: VersionProfilesRepository, useClass: TypeormVersionProfilesRepository },
    { provide: UnitOfWork, useClass: TypeormUnitOfWork },
    ScheduledJobs,
    artifactStorageProvider,
    RegistryEvents,
    ModelsService,
    ModelVersionsService,
    LifecycleService,
    PromotionsService,
    AliasesService,
    TrafficService,
    QuantizationService,
    RegistryReader,
    SunsetScheduler,
    VersionProfilesService,
    MultipartArtifactInterceptor,
  ],
  exports: [RegistryReader, RegistryEvents, ModelVersionsService, LifecycleService, VersionProfilesService, ARTIFACT_STORAGE],
})
export class ModelsModule {}
