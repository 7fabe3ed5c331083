import { Baseline1764000000000 } from './1764000000000-baseline';
import { AuditEvents1764000001000 } from './1764000001000-audit-events';
import { Identity1764000001100 } from './1764000001100-identity';
import { ModelRegistry1764000002000 } from './1764000002000-model-registry';
import { Serving1764000003000 } from './1764000003000-serving';
import { Training1764000004000 } from './1764000004000-training';
import { CredentialVersions1764000005000 } from './1764000005000-credential-versions';
import { UsageRollups1764000006000 } from './1764000006000-usage-rollups';
import { PromotionRequests1764000007000 } from './1764000007000-promotion-requests';
import { Webhooks1764000008000 } from './1764000008000-webhooks';
import { ShadowTraffic1764000009000 } from './1764000009000-shadow-traffic';
import { Tracing1764000010000 } from './1764000010000-tracing';
import { Drift1764000011000 } from './1764000011000-drift';
import { TrainingReport1764000012000 } from './1764000012000-training-report';

/** Every migration, in order. Listed explicitly so that tsc output, jest and the CLI agree. */
export const MIGRATIONS = [
  Baseline1764000000000,
  AuditEvents1764000001000,
  Identity1764000001100,
  ModelRegistry1764000002000,
  Serving1764000003000,
  Training1764000004000,
  CredentialVersions1764000005000,
  UsageRollups1764000006000,
  PromotionRequests1764000007000,
  Webhooks1764000008000,
  ShadowTraffic1764000009000,
  Tracing1764000010000,
  Drift1764000011000,
  TrainingReport1764000012000,
];
