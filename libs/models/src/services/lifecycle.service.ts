import { Injectable } from '@nestjs/common';
import { AuditTrail, EventOutbox } from '@app/audit';
import { Actor, hasRole, InjectConfig, WithHeaders } from '@app/common';
import { registryConfig, type RegistryConfig } from '../registry.config';
import { Transaction, UnitOfWork } from '@app/database';
import { ModelVersionDto, StageTransitionDto } from '../dto/model-version.dto';
import { TransitionVersionDto } from '../dto/version-queries.dto';
import { etagOf, ifMatchSatisfied } from '../domain/etag';
import { effectiveStage, LifecycleState, planTransition, Stage } from '../domain/lifecycle';
import { principalOf } from '../domain/principal';
import { assertMayForce, guardSignature, SignatureChange } from '../domain/signature-diff';
import { ConcurrentModificationError, PreconditionFailedError } from '../domain/registry-errors';
import { ModelEntity } from '../entities/model.entity';
import { ModelVersionEntity } from '../entities/model-version.entity';
import { PromotionRequestEntity } from '../entities/promotion-request.entity';
import { PromotionRequestDto, toPromotionRequestDto } from '../dto/promotion-request.dto';
import { PromotionRequestsRepository } from '../repositories/promotion-requests.repository';
import { ModelTrafficRepository } from '../repositories/model-traffic.repository';
import { ModelVersionsRepository } from '../repositories/model-versions.repository';
import { ModelsRepository } from '../repositories/models.repository';
import { RegistryWriteConflict } from '../repositories/registry-write-conflict';
import { lockModelNamed, lockVersionOf, modelNamed, versionOf } from './lookups';
import { RegistryEvents } from './registry-events';
import { toTransitionDto, toVersionDto } from './views';

interface Move {
  model: ModelEntity;
  row: ModelVersionEntity;
  from: Stage;
  next: LifecycleState;
  reason: string | null;
  actor: Actor | null;
  /** Set when an admin's `force` overrode the signature guard: audited with the differences. */
  forced?: { forced: true; signatureChanges: SignatureChange[] };
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
    private readonly models: ModelsRepository,
    private readonly versions: ModelVersionsRepository,
    private readonly traffic: ModelTrafficRepository,
    private readonly transactions: UnitOfWork,
    @InjectConfig(registryConfig) private readonly config: RegistryConfig,
    private readonly audit: AuditTrail,
    private readonly events: RegistryEvents,
    private readonly promotions: PromotionRequestsRepository,
    private readonly outbox: EventOutbox,
  ) {}

  /**
   * Moves a version, or, for a move to production that needs approval (the model's
   * `requireApproval`, or PROMOTION_REQUIRES_APPROVAL), records a pending promotion request
   * instead and answers it with 202. The move is checked first either way (an impossible or
   * guarded move is refused at once, not at approval); asking again while one is pending answers
   * the same request.
   */
  async transition(
    name: string,
    version: number,
    dto: TransitionVersionDto,
    ifMatch: string | undefined,
    actor: Actor,
  ): Promise<ModelVersionDto | WithHeaders<PromotionRequestDto>> {
    const now = new Date();
    const isAdmin = hasRole(actor.caller.roles, 'admin');
    assertMayForce(dto.force, isAdmin);
    let touched: number[] = [];
    let requested = false;
    const result = await this.transactions
      .run(async (tx): Promise<ModelVersionDto | WithHeaders<PromotionRequestDto>> => {
        const model = await lockModelNamed(this.models, name, tx);
        const row = await lockVersionOf(this.versions, model, version, tx);
        const production = await this.versions.findProductionForUpdate(model.id, tx);
        const current = etagOf(toVersionDto(name, row, production, now));
        if (!ifMatchSatisfied(ifMatch, current)) throw new PreconditionFailedError(current);
        if (dto.to === 'production' && (model.requireApproval || this.config.promotionRequiresApproval)) {
          this.plan(row, production, dto, isAdmin, now);
          const request = await this.requestPromotion(tx, model, row, dto, actor);
          requested = request.created;
          return new WithHeaders(toPromotionRequestDto(request.row), {}, 202);
        }
        touched = await this.move(tx, { model, row, production, dto, actor, isAdmin, now });
        // Production after the move: this version if promoted, none if it left production, else unchanged.
        const plannedStage = dto.to;
        const productionAfter = plannedStage === 'production' || production?.version === row.version ? null : production;
        return toVersionDto(name, await versionOf(this.versions, model, version, tx), productionAfter, now);
      })
      .catch(rethrowConflict(name));
    for (const v of touched) this.events.emit({ type: 'version', modelName: name, version: v });
    if (requested) this.events.emit({ type: 'version', modelName: name, version });
    return result;
  }

  /**
   * @internal PromotionsService's approval: the move the request asked for, in the approver's
   * transaction (under the model's lock, taken by the caller). The versions whose stage changed.
   */
  async applyApproved(
    tx: Transaction,
    model: ModelEntity,
    row: ModelVersionEntity,
    request: { reason: string | null; force: boolean },
    approver: Actor,
  ): Promise<number[]> {
    const production = await this.versions.findProductionForUpdate(model.id, tx);
    const dto: TransitionVersionDto = { to: 'production', reason: request.reason ?? undefined, force: request.force };
    // The requester's force was allowed (admin) when asked; the approver applies it as asked.
    return this.move(tx, { model, row, production, dto, actor: approver, isAdmin: request.force, now: new Date() });
  }

  private plan(row: ModelVersionEntity, production: ModelVersionEntity | null, dto: TransitionVersionDto, isAdmin: boolean, now: Date) {
    const plan = planTransition({
      version: row,
      to: dto.to,
      currentProduction: production,
      sunsetAt: dto.sunsetAt ? new Date(dto.sunsetAt) : undefined,
      isAdmin,
      now,
      defaultSunsetDays: this.config.defaultSunsetDays,
    });
    // Rollbacks (deprecated → production) are guarded too: the production they replace may have moved on.
    const guard =
      plan.next.stage === 'production'
        ? guardSignature({ candidate: row, production, move: 'promotion', force: dto.force === true, isAdmin })
        : { forced: false, changes: [] };
    return { plan, guard };
  }

  private async requestPromotion(
    tx: Transaction,
    model: ModelEntity,
    row: ModelVersionEntity,
    dto: TransitionVersionDto,
    actor: Actor,
  ): Promise<{ row: PromotionRequestEntity; created: boolean }> {
    const pending = await this.promotions.findPendingForVersion(row.id, tx);
    if (pending) return { row: pending, created: false };
    const request = await this.promotions.insert(
      {
        modelId: model.id,
        modelName: model.name,
        versionId: row.id,
        version: row.version,
        fromStage: effectiveStage(row) as 'staging' | 'deprecated',
        force: dto.force === true,
        reason: dto.reason ?? null,
        requestedBy: actor.caller.id,
        requestedByName: principalOf(actor),
      },
      tx,
    );
    const details = { id: request.id, model: model.name, version: row.version, reason: request.reason, requestedBy: principalOf(actor) };
    await this.audit.record({ action: 'promotion.requested', actor, targetType: 'promotion-request', targetId: request.id, details }, tx);
    await this.outbox.add('promotion.requested', details, tx);
    return { row: request, created: true };
  }

  private async move(
    tx: Transaction,
    m: {
      model: ModelEntity;
      row: ModelVersionEntity;
      production: ModelVersionEntity | null;
      dto: TransitionVersionDto;
      actor: Actor;
      isAdmin: boolean;
      now: Date;
    },
  ): Promise<number[]> {
    const { model, row, production, dto, actor, isAdmin, now } = m;
    const { plan, guard } = this.plan(row, production, dto, isAdmin, now);
    // Demote first: the partial unique index allows one production row at any instant.
    if (plan.superseded && production) {
      await this.apply(tx, {
        model,
        row: production,
        from: plan.superseded.from,
        next: plan.superseded.next,
        reason: `superseded by version ${row.version}`,
        actor,
      });
    }
    const forced = guard.forced ? ({ forced: true, signatureChanges: guard.changes } as const) : undefined;
    await this.apply(tx, { model, row, from: plan.from, next: plan.next, reason: dto.reason ?? null, actor, forced });
    return [row.version, ...(production && plan.superseded ? [production.version] : [])];
  }

  async history(name: string, version: number): Promise<StageTransitionDto[]> {
    const row = await versionOf(this.versions, await modelNamed(this.models, name), version);
    return (await this.versions.transitions(row.id)).map(toTransitionDto);
  }

  /**
   * Retires deprecated versions whose sunset has passed. SKIP LOCKED lets several replicas sweep
   * at once without retiring (and recording) a version twice. Returns how many were retired.
   */
  async retireSunsetVersions(now: Date = new Date(), batchSize = 100): Promise<number> {
    const retired: { model: string; version: number }[] = [];
    await this.transactions.run(async (tx) => {
      const rows = await this.versions.lockSunsetDue(now, batchSize, tx);
      for (const row of rows) {
        const model = await this.models.findByIdWithDeleted(row.modelId, tx);
        if (!model) continue;
        await this.apply(tx, {
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

  private async apply(tx: Transaction, move: Move): Promise<void> {
    const { model, row, from, next, reason, actor, forced } = move;
    await this.versions.updateLifecycle(row.id, next, tx);
    await this.versions.addTransition(
      {
        versionId: row.id,
        fromStage: from,
        toStage: next.stage,
        actorId: actor?.caller.id ?? null,
        actor: principalOf(actor),
        reason,
        requestId: actor?.requestId ?? null,
      },
      tx,
    );
    // A promotion request waits on the stage it was made in: moving elsewhere makes it stale.
    for (const stale of await this.promotions.markStale(row.id, tx)) {
      const details = { id: stale.id, model: model.name, version: row.version, movedTo: next.stage };
      await this.audit.record({ action: 'promotion.stale', actor, targetType: 'promotion-request', targetId: stale.id, details }, tx);
      await this.outbox.add('promotion.decided', { ...details, status: 'stale', decidedBy: null, comment: null }, tx);
    }
    // A canary that goes to production or leaves service has nothing left to split.
    let canaryCleared = false;
    if (next.stage === 'production' || next.stage === 'retired') {
      canaryCleared = await this.traffic.clearCanaryOf(model.id, row.version, tx);
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
          ...(forced ?? {}),
        },
      },
      tx,
    );
    await this.outbox.add(
      'model.version.transitioned',
      { model: model.name, version: row.version, from, to: next.stage, reason, actor: principalOf(actor) },
      tx,
    );
  }
}

/** A lost race on the registry's rows, as the client should see it. */
export function rethrowConflict(name: string): (error: unknown) => never {
  return (error: unknown) => {
    if (error instanceof RegistryWriteConflict) {
      throw new ConcurrentModificationError(`Another change to model "${name}" won a race; re-read and retry.`);
    }
    throw error;
  };
}
