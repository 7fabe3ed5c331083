import { Injectable } from '@nestjs/common';
import { AuditTrail } from '@app/audit';
import { Actor, ConflictError, hasRole } from '@app/common';
import { Transaction, UnitOfWork } from '@app/database';
import { SetTrafficDto, TrafficDto } from '../dto/traffic.dto';
import { effectiveStage } from '../domain/lifecycle';
import { principalOf } from '../domain/principal';
import { assertMayForce, guardSignature, GuardVerdict, SignatureChange } from '../domain/signature-diff';
import { ModelEntity } from '../entities/model.entity';
import { ModelTrafficEntity } from '../entities/model-traffic.entity';
import { ModelVersionRetiredError } from '../domain/registry-errors';
import { ModelTrafficRepository } from '../repositories/model-traffic.repository';
import { ModelVersionsRepository } from '../repositories/model-versions.repository';
import { ModelsRepository } from '../repositories/models.repository';
import { lockModelNamed, modelNamed, versionOf } from './lookups';
import { RegistryEvents } from './registry-events';

type Share = { version: number; percent: number };

/**
 * The canary split and the shadow are stored here; the serving layer applies them to production
 * traffic. Both face production's callers' requests, so both pass the same eligibility checks and
 * signature guard.
 */
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
    return toTrafficDto(await this.traffic.find(model.id));
  }

  async set(name: string, dto: SetTrafficDto, actor: Actor): Promise<TrafficDto> {
    const isAdmin = hasRole(actor.caller.roles, 'admin');
    assertMayForce(dto.force, isAdmin);
    const result = await this.transactions.run(async (tx) => {
      const model = await lockModelNamed(this.models, name, tx);
      const previous = await this.traffic.find(model.id, tx);
      const before = toTrafficDto(previous);
      const canary = dto.canary === undefined ? before.canary : dto.canary && { version: dto.canary.version, percent: dto.canary.percent };
      const shadow =
        dto.shadow === undefined ? (before.shadow ?? null) : dto.shadow && { version: dto.shadow.version, percent: dto.shadow.percent };
      const changes: SignatureChange[] = [];
      let forced = false;
      // Only what this request sets is judged: a part left as it is was judged when it was set.
      for (const [move, share] of [
        ['canary', dto.canary],
        ['shadow', dto.shadow],
      ] as const) {
        if (!share) continue;
        const guard = await this.eligible(model, name, share, move, dto.force === true, isAdmin, tx);
        forced ||= guard.forced;
        changes.push(...guard.changes);
      }
      // The same shadow version keeps its report running; another one starts a new one.
      const sameShadow = shadow !== null && previous?.shadowVersion === shadow.version;
      const shadowSince = shadow === null ? null : sameShadow ? previous!.shadowSince : new Date();
      await this.traffic.save(
        {
          modelId: model.id,
          canaryVersion: canary?.version ?? null,
          canaryPercent: canary?.percent ?? null,
          shadowVersion: shadow?.version ?? null,
          shadowPercent: shadow?.percent ?? null,
          shadowSince,
          updatedBy: principalOf(actor),
        },
        tx,
      );
      await this.audit.record(
        {
          action: canary || shadow ? 'model-traffic.set' : 'model-traffic.cleared',
          actor,
          targetType: 'model',
          targetId: model.id,
          details: {
            model: name,
            canary,
            previous: before.canary,
            ...(shadow || before.shadow ? { shadow, previousShadow: before.shadow ?? null } : {}),
            ...(forced ? { forced: true, signatureChanges: changes } : {}),
          },
        },
        tx,
      );
      return toTrafficDto({
        canaryVersion: canary?.version ?? null,
        canaryPercent: canary?.percent ?? null,
        shadowVersion: shadow?.version ?? null,
        shadowPercent: shadow?.percent ?? null,
      });
    });
    this.events.emit({ type: 'traffic', modelName: name });
    return result;
  }

  /** A canary or shadow answers (or is compared on) production's requests: it must be servable and take and give what production does. */
  private async eligible(
    model: ModelEntity,
    name: string,
    { version }: Share,
    move: 'canary' | 'shadow',
    force: boolean,
    isAdmin: boolean,
    tx: Transaction,
  ): Promise<GuardVerdict> {
    const target = await versionOf(this.versions, model, version, tx);
    const stage = effectiveStage(target);
    if (stage === 'retired') throw new ModelVersionRetiredError(name, version, 'conflict');
    if (stage === 'draft') {
      // A canary serves consumers, who may not call draft versions; a shadow is held to the same bar.
      throw new ConflictError(
        'CANARY_VERSION_NOT_ELIGIBLE',
        `Version ${version} is a draft; promote it to staging before it takes ${move} traffic.`,
      );
    }
    const production = await this.versions.findProduction(model.id, tx);
    if (production?.version === version) {
      throw new ConflictError(
        'CANARY_VERSION_NOT_ELIGIBLE',
        `Version ${version} is the production version; a ${move} must be another version.`,
      );
    }
    return guardSignature({ candidate: target, production, move, force, isAdmin });
  }
}

function toTrafficDto(
  row: Pick<ModelTrafficEntity, 'canaryVersion' | 'canaryPercent' | 'shadowVersion' | 'shadowPercent'> | null,
): TrafficDto {
  const dto: TrafficDto = {
    canary: row?.canaryVersion != null && row.canaryPercent != null ? { version: row.canaryVersion, percent: row.canaryPercent } : null,
  };
  // Left out rather than null when unset: the answer of a model without a shadow is what it always was.
  if (row?.shadowVersion != null && row.shadowPercent != null) dto.shadow = { version: row.shadowVersion, percent: row.shadowPercent };
  return dto;
}
