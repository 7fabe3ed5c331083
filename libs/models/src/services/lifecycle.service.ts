import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '@app/audit';
import { Actor, AppConfig, hasRole, InjectConfig } from '@app/common';
import { ModelVersionDto, StageTransitionDto } from '../dto/model-version.dto';
import { TransitionVersionDto } from '../dto/version-queries.dto';
import { etagOf, ifMatchSatisfied } from '../domain/etag';
import { LifecycleState, planTransition, Stage } from '../domain/lifecycle';
import { principalOf } from '../domain/principal';
import { ConcurrentModificationError, PreconditionFailedError } from '../domain/registry-errors';
import { ModelEntity } from '../entities/model.entity';
import { ModelTrafficEntity } from '../entities/model-traffic.entity';
import { ModelVersionEntity } from '../entities/model-version.entity';
import { StageTransitionEntity } from '../entities/stage-transition.entity';
import { findModel, findProductionVersion, findVersion, isUniqueViolation, readOnly } from './persistence';
import { RegistryEvents } from './registry-events';
import { toTransitionDto, toVersionDto } from './views';

interface Move {
  model: ModelEntity;
  row: ModelVersionEntity;
  from: Stage;
  next: LifecycleState;
  reason: string | null;
  actor: Actor | null;
}

/**
 * Stage transitions: the pure plan (domain/lifecycle) applied in one transaction, under the
 * model's row lock so concurrent promotions take turns; the partial unique index on production
 * stays the backstop. Every move is written to the history table and the audit log in the same
 * transaction as the move itself.
 */
@Injectable()
export class LifecycleService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly events: RegistryEvents,
  ) {}

  async transition(
    name: string,
    version: number,
    dto: TransitionVersionDto,
    ifMatch: string | undefined,
    actor: Actor,
  ): Promise<ModelVersionDto> {
    const now = new Date();
    let touched: number[] = [];
    const result = await this.db
      .transaction(async (m) => {
        const model = await findModel(m, name, { lock: true });
        const row = await findVersion(m, model, version, { lock: true });
        const current = etagOf(toVersionDto(name, row, now));
        if (!ifMatchSatisfied(ifMatch, current)) throw new PreconditionFailedError(current);
        const production = await findProductionVersion(m, model.id, { lock: true });
        const plan = planTransition({
          version: row,
          to: dto.to,
          currentProduction: production,
          sunsetAt: dto.sunsetAt ? new Date(dto.sunsetAt) : undefined,
          isAdmin: hasRole(actor.caller.roles, 'admin'),
          now,
          defaultSunsetDays: this.config.registry.defaultSunsetDays,
        });
        // Demote first: the partial unique index allows one production row at any instant.
        if (plan.superseded && production) {
          await this.apply(m, {
            model,
            row: production,
            from: plan.superseded.from,
            next: plan.superseded.next,
            reason: `superseded by version ${row.version}`,
            actor,
          });
        }
        await this.apply(m, { model, row, from: plan.from, next: plan.next, reason: dto.reason ?? null, actor });
        touched = [row.version, ...(production && plan.superseded ? [production.version] : [])];
        return toVersionDto(name, await findVersion(m, model, version), now);
      })
      .catch((error: unknown) => {
        if (isUniqueViolation(error)) {
          throw new ConcurrentModificationError(`Another change to model "${name}" won a race; re-read and retry.`);
        }
        throw error;
      });
    for (const v of touched) this.events.emit({ type: 'version', modelName: name, version: v });
    return result;
  }

  async history(name: string, version: number): Promise<StageTransitionDto[]> {
    return readOnly(this.db, async (m) => {
      const row = await findVersion(m, await findModel(m, name), version);
      const transitions = await m
        .getRepository(StageTransitionEntity)
        .createQueryBuilder('t')
        .where('t.version_id = :id', { id: row.id })
        .orderBy('t.at', 'ASC')
        .getMany();
      return transitions.map(toTransitionDto);
    });
  }

  /**
   * Retires deprecated versions whose sunset has passed. SKIP LOCKED lets several replicas sweep
   * at once without retiring (and recording) a version twice. Returns how many were retired.
   */
  async retireSunsetVersions(now: Date = new Date(), batchSize = 100): Promise<number> {
    const retired: { model: string; version: number }[] = [];
    await this.db.transaction(async (m) => {
      const rows = await m
        .getRepository(ModelVersionEntity)
        .createQueryBuilder('v')
        .where(`v.stage = 'deprecated' AND v.sunset_at <= :now`, { now })
        .orderBy('v.sunset_at', 'ASC')
        .take(batchSize)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      for (const row of rows) {
        const model = await m.getRepository(ModelEntity).findOne({ where: { id: row.modelId }, withDeleted: true });
        if (!model) continue;
        await this.apply(m, {
          model,
          row,
          from: 'deprecated',
          next: { stage: 'retired', deprecatedAt: row.deprecatedAt, sunsetAt: row.sunsetAt, successorVersion: row.successorVersion },
          reason: 'sunset date passed',
          actor: null,
        });
        retired.push({ model: model.name, version: row.version });
      }
    });
    for (const r of retired) this.events.emit({ type: 'version', modelName: r.model, version: r.version });
    return retired.length;
  }

  private async apply(m: EntityManager, move: Move): Promise<void> {
    const { model, row, from, next, reason, actor } = move;
    await m.getRepository(ModelVersionEntity).update(
      { id: row.id },
      { stage: next.stage, deprecatedAt: next.deprecatedAt, sunsetAt: next.sunsetAt, successorVersion: next.successorVersion },
    );
    await m.getRepository(StageTransitionEntity).insert({
      versionId: row.id,
      fromStage: from,
      toStage: next.stage,
      actorId: actor?.caller.id ?? null,
      actor: principalOf(actor),
      reason,
      requestId: actor?.requestId ?? null,
    });
    // A canary that goes to production or leaves service has nothing left to split.
    let canaryCleared = false;
    if (next.stage === 'production' || next.stage === 'retired') {
      const deleted = await m.getRepository(ModelTrafficEntity).delete({ modelId: model.id, canaryVersion: row.version });
      canaryCleared = (deleted.affected ?? 0) > 0;
    }
    await this.audit.record(
      {
        action: 'model-version.transitioned',
        actor,
        targetType: 'model-version',
        targetId: row.id,
        details: {
          model: model.name,
          version: row.version,
          from,
          to: next.stage,
          reason,
          ...(next.stage === 'deprecated' ? { sunsetAt: next.sunsetAt?.toISOString(), successorVersion: next.successorVersion } : {}),
          ...(canaryCleared ? { canaryCleared } : {}),
        },
      },
      m,
    );
  }
}
