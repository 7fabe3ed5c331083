import { Injectable } from '@nestjs/common';
import { AuditTrail, EventOutbox } from '@app/audit';
import { Actor, ConflictError, ForbiddenError, hasRole, isUuid, NotFoundError, Page, toPage } from '@app/common';
import { UnitOfWork } from '@app/database';
import {
  DecidePromotionDto,
  ListPromotionRequestsQueryDto,
  PromotionRequestDto,
  toPromotionRequestDto,
} from '../dto/promotion-request.dto';
import { effectiveStage } from '../domain/lifecycle';
import { principalOf } from '../domain/principal';
import { PromotionRequestEntity } from '../entities/promotion-request.entity';
import { ModelVersionsRepository } from '../repositories/model-versions.repository';
import { ModelsRepository } from '../repositories/models.repository';
import { PromotionRequestsRepository } from '../repositories/promotion-requests.repository';
import { LifecycleService, rethrowConflict } from './lifecycle.service';
import { RegistryEvents } from './registry-events';

type Decision = 'approved' | 'rejected';

/**
 * Promotion requests (made by LifecycleService when a move to production needs approval): listed,
 * and approved or rejected by an approver (an admin, or a user whose `approver` flag is set) other
 * than the requester. Approval performs the move in the same transaction as the decision, under
 * the model's lock; a request whose version left the stage it was made in is stale instead.
 */
@Injectable()
export class PromotionsService {
  constructor(
    private readonly models: ModelsRepository,
    private readonly versions: ModelVersionsRepository,
    private readonly requests: PromotionRequestsRepository,
    private readonly lifecycle: LifecycleService,
    private readonly transactions: UnitOfWork,
    private readonly audit: AuditTrail,
    private readonly outbox: EventOutbox,
    private readonly events: RegistryEvents,
  ) {}

  async list(query: ListPromotionRequestsQueryDto): Promise<Page<PromotionRequestDto>> {
    const { rows, total } = await this.requests.list({
      status: query.status,
      model: query.model,
      limit: query.limit,
      offset: query.offset,
    });
    return toPage(rows.map(toPromotionRequestDto), total, query);
  }

  approve(id: string, dto: DecidePromotionDto, actor: Actor): Promise<PromotionRequestDto> {
    return this.decide(id, 'approved', dto, actor);
  }

  reject(id: string, dto: DecidePromotionDto, actor: Actor): Promise<PromotionRequestDto> {
    return this.decide(id, 'rejected', dto, actor);
  }

  private async decide(id: string, decision: Decision, dto: DecidePromotionDto, actor: Actor): Promise<PromotionRequestDto> {
    assertApprover(actor);
    let touched: number[] = [];
    let staleFound = false;
    let modelName = '';
    const result = await this.transactions
      .run(async (tx) => {
        const request = isUuid(id) ? await this.requests.findByIdForUpdate(id, tx) : null;
        if (!request) throw new NotFoundError('PROMOTION_REQUEST_NOT_FOUND', `No promotion request has the id "${id}".`);
        modelName = request.modelName;
        if (request.requestedBy === actor.caller.id) {
          throw new ForbiddenError('You requested this promotion; another approver must decide it.', 'SELF_APPROVAL');
        }
        if (request.status !== 'pending') throw decided(request);
        // The model's lock first, as every stage change takes it: decisions and moves take turns.
        const model = await this.models.findByNameForUpdate(request.modelName, tx);
        const row = model ? await this.versions.findByNumberForUpdate(model.id, request.version, tx) : null;
        if (!model || !row || effectiveStage(row) !== request.fromStage) {
          // Recorded even though the approval fails: the request is stale whatever happens next.
          for (const stale of await this.requests.markStale(request.versionId, tx)) {
            const details = { id: stale.id, model: request.modelName, version: request.version };
            await this.audit.record({ action: 'promotion.stale', actor, targetType: 'promotion-request', targetId: stale.id, details }, tx);
            await this.outbox.add('promotion.decided', { ...details, status: 'stale', decidedBy: null, comment: null }, tx);
          }
          staleFound = true;
          return request;
        }
        const decidedRow = await this.requests.decide(
          request.id,
          { status: decision, decidedBy: actor.caller.id, decidedByName: principalOf(actor), comment: dto.comment ?? null },
          tx,
        );
        const details = {
          id: request.id,
          model: request.modelName,
          version: request.version,
          status: decision,
          requestedBy: request.requestedByName ?? request.requestedBy,
          decidedBy: principalOf(actor),
          comment: dto.comment ?? null,
        };
        await this.audit.record(
          { action: `promotion.${decision}`, actor, targetType: 'promotion-request', targetId: request.id, details },
          tx,
        );
        await this.outbox.add('promotion.decided', details, tx);
        if (decision === 'approved') touched = await this.lifecycle.applyApproved(tx, model, row, request, actor);
        return decidedRow;
      })
      .catch(rethrowConflict(modelName || id));
    if (staleFound) {
      throw new ConflictError(
        'PROMOTION_REQUEST_STALE',
        `Version ${result.version} of "${result.modelName}" left ${result.fromStage} after the promotion was requested; request it again.`,
      );
    }
    for (const v of touched) this.events.emit({ type: 'version', modelName, version: v });
    return toPromotionRequestDto(result);
  }
}

function assertApprover(actor: Actor): void {
  if (hasRole(actor.caller.roles, 'admin') || actor.caller.approver === true) return;
  throw new ForbiddenError('Only admins and users with the approver flag may decide promotion requests.', 'NOT_AN_APPROVER');
}

function decided(request: PromotionRequestEntity): ConflictError {
  return new ConflictError('PROMOTION_REQUEST_DECIDED', `This promotion request is already ${request.status}.`, { status: request.status });
}
