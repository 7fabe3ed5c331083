export * from './model.entity';
export * from './model-version.entity';
export * from './stage-transition.entity';
export * from './model-alias.entity';
export * from './model-traffic.entity';
export * from './promotion-request.entity';

import { ModelEntity } from './model.entity';
import { ModelAliasEntity } from './model-alias.entity';
import { ModelTrafficEntity } from './model-traffic.entity';
import { ModelVersionEntity } from './model-version.entity';
import { PromotionRequestEntity } from './promotion-request.entity';
import { StageTransitionEntity } from './stage-transition.entity';

export const MODEL_REGISTRY_ENTITIES = [
  ModelEntity,
  ModelVersionEntity,
  StageTransitionEntity,
  ModelAliasEntity,
  ModelTrafficEntity,
  PromotionRequestEntity,
];
