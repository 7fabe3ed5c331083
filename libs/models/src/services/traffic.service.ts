import { Injectable } from '@nestjs/common';
import { AuditTrail } from '@app/audit';
import { Actor, ConflictError, hasRole } from '@app/common';
import { UnitOfWork } from '@app/database';
import { SetTrafficDto, TrafficDto } from '../dto/traffic.dto';
import { effectiveStage } from '../domain/lifecycle';
import { principalOf } from '../domain/principal';
import { assertMayForce, guardSignature, GuardVerdict } from '../domain/signature-diff';
import { ModelVersionRetiredError } from '../domain/registry-errors';
import { ModelTrafficRepository } from '../repositories/model-traffic.repository';
import { ModelVersionsRepository } from '../repositories/model-versions.repository';
import { ModelsRepository } from '../repositories/models.repository';
import { lockModelNamed, modelNamed, versionOf } from './lookups';
import { RegistryEvents } from './registry-events';

/** The canary split is stored here; the serving layer applies it to production traffic. */
@Injectable()
export class TrafficService {
  constructor(
    private readonly models: ModelsRepository,
    private readonly versions: ModelVersionsRepository,
    private readonly traffic: ModelTrafficRepository,
    private readonly transactions: UnitOfWork,
    private readonly audit: AuditTrail,
    private readonly events: RegistryEvents,
  ) {}

  async get(name: string): Promise<TrafficDto> {
    const model = await modelNamed(this.models, name);
    const row = await this.traffic.find(model.id);
    return { canary: row ? { version: row.canaryVersion, percent: row.canaryPercent } : null };
  }

  async set(name: string, dto: SetTrafficDto, actor: Actor): Promise<TrafficDto> {
    const isAdmin = hasRole(actor.caller.roles, 'admin');
    assertMayForce(dto.force, isAdmin);
    const result = await this.transactions.run(async (tx) => {
      let guard: GuardVerdict = { forced: false, changes: [] };
      const model = await lockModelNamed(this.models, name, tx);
      const previous = await this.traffic.find(model.id, tx);
      const before = previous ? { version: previous.canaryVersion, percent: previous.canaryPercent } : null;
      if (dto.canary === null) {
        await this.traffic.delete(model.id, tx);
      } else {
        const { version, percent } = dto.canary;
        const target = await versionOf(this.versions, model, version, tx);
        const stage = effectiveStage(target);
        if (stage === 'retired') throw new ModelVersionRetiredError(name, version, 'conflict');
        if (stage === 'draft') {
          // A canary serves consumers, who may not call draft versions.
          throw new ConflictError(
            'CANARY_VERSION_NOT_ELIGIBLE',
            `Version ${version} is a draft; promote it to staging before it takes traffic.`,
          );
        }
        const production = await this.versions.findProduction(model.id, tx);
        if (production?.version === version) {
          throw new ConflictError(
            'CANARY_VERSION_NOT_ELIGIBLE',
            `Version ${version} is the production version; a canary must be another version.`,
          );
        }
        // The canary answers production's callers: it must take and give what production does.
        guard = guardSignature({ candidate: target, production, move: 'canary', force: dto.force === true, isAdmin });
        await this.traffic.upsert({ modelId: model.id, canaryVersion: version, canaryPercent: percent, updatedBy: principalOf(actor) }, tx);
      }
      await this.audit.record(
        {
          action: dto.canary ? 'model-traffic.set' : 'model-traffic.cleared',
          actor,
          targetType: 'model',
          targetId: model.id,
          details: {
            model: name,
            canary: dto.canary ? { ...dto.canary } : null,
            previous: before,
            ...(guard.forced ? { forced: true, signatureChanges: guard.changes } : {}),
          },
        },
        tx,
      );
      return { canary: dto.canary ? { version: dto.canary.version, percent: dto.canary.percent } : null };
    });
    this.events.emit({ type: 'traffic', modelName: name });
    return result;
  }
}
