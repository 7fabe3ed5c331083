import { WithHeaders } from '@app/common';
import type { Actor } from '@app/common';
import type { PromotionRequestDto } from '../dto/promotion-request.dto';
import { actorWith, registryServices } from '../testing/registry-services';

/** Promotion approvals over in-memory repositories: who may decide, what approval does, when a request goes stale. */
describe('PromotionsService (approvals)', () => {
  const engineer = actorWith(['ml-engineer'], 'eng-1');
  const otherEngineer = actorWith(['ml-engineer'], 'eng-2');
  const approver = {
    ...actorWith(['ml-engineer'], 'appr-1'),
    caller: { ...actorWith(['ml-engineer'], 'appr-1').caller, approver: true },
  } as Actor;
  const admin = actorWith(['admin'], 'admin-1');
  let r: ReturnType<typeof registryServices>;

  const stage = (version: number) => r.p.versions.store.rows.find((v) => v.version === version)!.stage;
  const request = async (version: number, actor: Actor = engineer, reason?: string) => {
    const answer = await r.lifecycle.transition('iris', version, { to: 'production', reason }, undefined, actor);
    expect(answer).toBeInstanceOf(WithHeaders);
    expect((answer as WithHeaders<PromotionRequestDto>).status).toBe(202);
    return (answer as WithHeaders<PromotionRequestDto>).body;
  };

  beforeEach(async () => {
    r = registryServices();
    await r.addVersion('iris', 'staging');
    await r.addVersion('iris', 'staging');
    await r.models.update('iris', { requireApproval: true }, undefined, admin);
  });

  it('turns a move to production into a pending request (admins too), audited and in the outbox; asking again answers the same request', async () => {
    const pending = await request(1, engineer, 'beats v0');
    expect(pending).toMatchObject({
      model: 'iris',
      version: 1,
      status: 'pending',
      requestedBy: 'eng-1@t.test',
      reason: 'beats v0',
      decidedBy: null,
    });
    expect(stage(1)).toBe('staging');
    expect(r.p.audit.actions().at(-1)).toBe('promotion.requested');
    expect(r.p.outbox.types().at(-1)).toBe('promotion.requested');
    expect((await request(1, admin)).id).toBe(pending.id);
    expect(r.p.promotions.rows).toHaveLength(1);
  });

  it('checks the move when it is asked for: an impossible one is refused at once, not queued', async () => {
    await r.addVersion('iris', 'draft');
    await expect(r.lifecycle.transition('iris', 3, { to: 'production' }, undefined, engineer)).rejects.toMatchObject({
      code: 'INVALID_STAGE_TRANSITION',
    });
    expect(r.p.promotions.rows).toHaveLength(0);
  });

  it('refuses a decision from a non-approver and from the requester, even an admin requester', async () => {
    const pending = await request(1);
    await expect(r.promotions.approve(pending.id, {}, otherEngineer)).rejects.toMatchObject({ code: 'NOT_AN_APPROVER' });
    await expect(r.promotions.reject(pending.id, {}, otherEngineer)).rejects.toMatchObject({ code: 'NOT_AN_APPROVER' });
    const own = await request(2, admin);
    await expect(r.promotions.approve(own.id, {}, admin)).rejects.toMatchObject({ code: 'SELF_APPROVAL' });
    expect([stage(1), stage(2)]).toEqual(['staging', 'staging']);
  });

  it('approval moves the version to production in the same unit of work, deprecating the previous production', async () => {
    await r.models.update('iris', { requireApproval: false }, undefined, admin);
    await r.lifecycle.transition('iris', 1, { to: 'production' }, undefined, engineer);
    await r.models.update('iris', { requireApproval: true }, undefined, admin);
    const pending = await request(2, engineer, 'new weights');
    const decided = await r.promotions.approve(pending.id, { comment: 'metrics reviewed' }, approver);
    expect(decided).toMatchObject({ id: pending.id, status: 'approved', decidedBy: 'appr-1@t.test', comment: 'metrics reviewed' });
    expect(decided.decidedAt).not.toBeNull();
    expect([stage(1), stage(2)]).toEqual(['deprecated', 'production']);
    expect(r.p.audit.actions().slice(-3)).toEqual(['promotion.approved', 'model-version.transitioned', 'model-version.transitioned']);
    expect(r.p.outbox.types().slice(-3)).toEqual(['promotion.decided', 'model.version.transitioned', 'model.version.transitioned']);
    await expect(r.promotions.approve(pending.id, {}, admin)).rejects.toMatchObject({
      code: 'PROMOTION_REQUEST_DECIDED',
      extensions: { status: 'approved' },
    });
  });

  it('rejection leaves the version where it was; the request lists as rejected', async () => {
    const pending = await request(1);
    const decided = await r.promotions.reject(pending.id, { comment: 'not yet' }, admin);
    expect(decided).toMatchObject({ status: 'rejected', decidedBy: 'admin-1@t.test', comment: 'not yet' });
    expect(stage(1)).toBe('staging');
    expect((await r.promotions.list({ status: 'rejected', limit: 20, offset: 0 })).items.map((i) => i.id)).toEqual([pending.id]);
    expect((await r.promotions.list({ status: 'pending', limit: 20, offset: 0 })).items).toEqual([]);
  });

  it('a request goes stale when its version leaves staging; approving it then is a 409 and changes nothing', async () => {
    const pending = await request(1);
    await r.lifecycle.transition('iris', 1, { to: 'retired' }, undefined, admin);
    expect(r.p.promotions.rows[0].status).toBe('stale');
    expect(r.p.audit.actions()).toContain('promotion.stale');
    await expect(r.promotions.approve(pending.id, {}, admin)).rejects.toMatchObject({ code: 'PROMOTION_REQUEST_DECIDED' });
    expect(stage(1)).toBe('retired');
  });

  it('PROMOTION_REQUIRES_APPROVAL alone asks it of every model; unknown ids are 404', async () => {
    await r.models.update('iris', { requireApproval: false }, undefined, admin);
    expect(await r.lifecycle.transition('iris', 1, { to: 'production' }, undefined, engineer)).toMatchObject({ stage: 'production' });
    r = registryServices({ PROMOTION_REQUIRES_APPROVAL: 'true' });
    await r.addVersion('iris', 'staging');
    await request(1);
    await expect(r.promotions.approve('00000000-0000-4000-8000-000000000000', {}, admin)).rejects.toMatchObject({
      code: 'PROMOTION_REQUEST_NOT_FOUND',
    });
    await expect(r.promotions.approve('not-a-uuid', {}, admin)).rejects.toMatchObject({ code: 'PROMOTION_REQUEST_NOT_FOUND' });
  });

  it('only an admin may set requireApproval', async () => {
    await expect(r.models.update('iris', { requireApproval: false }, undefined, engineer)).rejects.toMatchObject({
      code: 'INSUFFICIENT_ROLE',
    });
    expect((await r.models.update('iris', { description: 'kept' }, undefined, engineer)).requireApproval).toBe(true);
  });
});
