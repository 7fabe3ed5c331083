import { plainToInstance } from 'class-transformer';
import { Transaction } from '@app/database';
import type { Actor } from '@app/common';
import { AuditTrail, TypeormAuditTrail } from './audit-trail';
import { AuditService } from './audit.service';
import { ListAuditEventsQueryDto } from './dto/list-audit-events.query.dto';
import { REDACTED } from './redact';
import { InMemoryAuditEventsRepository } from './testing/in-memory-audit-events';

class SomeTransaction extends Transaction {}

const admin: Actor = {
  caller: { id: 'u-admin', kind: 'user', roles: ['admin'], email: 'admin@example.com' },
  requestId: 'req-1',
  ip: '10.0.0.1',
};
const key: Actor = { caller: { id: 'k-1', kind: 'api-key', roles: ['consumer'] }, requestId: 'req-2', ip: '10.0.0.2' };

function setup() {
  const repo = new InMemoryAuditEventsRepository();
  let ms = Date.parse('2030-01-01T00:00:00.000Z');
  repo.now = () => new Date((ms += 1000));
  return { repo, audit: new AuditService(repo) };
}

const query = (q: Record<string, unknown>) => plainToInstance(ListAuditEventsQueryDto, q);

describe('AuditService (over an in-memory repository)', () => {
  describe('record', () => {
    it('redacts secret-named details at any depth before they reach the repository', async () => {
      const { repo, audit } = setup();
      await audit.record({
        action: 'user.created',
        actor: admin,
        details: { email: 'a@b.c', password: 'p', nested: { refreshToken: 't', keep: 1 } },
      });
      expect(repo.rows[0].details).toEqual({ email: 'a@b.c', password: REDACTED, nested: { refreshToken: REDACTED, keep: 1 } });
    });

    it('attributes the actor (user or API key), else anonymous with an ip or request id, else the system', async () => {
      const { repo, audit } = setup();
      await audit.record({ action: 'a', actor: admin, targetType: 'user', targetId: 'u-2' });
      await audit.record({ action: 'b', actor: key });
      await audit.record({ action: 'c', ip: '192.0.2.1' });
      await audit.record({ action: 'd', requestId: 'req-9' });
      await audit.record({ action: 'e' });
      expect(repo.rows.map((r) => [r.action, r.actorKind, r.actorId, r.actorEmail, r.ip, r.requestId])).toEqual([
        ['a', 'user', 'u-admin', 'admin@example.com', '10.0.0.1', 'req-1'],
        ['b', 'api-key', 'k-1', null, '10.0.0.2', 'req-2'],
        ['c', 'anonymous', null, null, '192.0.2.1', null],
        ['d', 'anonymous', null, null, null, 'req-9'],
        ['e', 'system', null, null, null, null],
      ]);
      expect(repo.rows[0]).toMatchObject({ targetType: 'user', targetId: 'u-2', details: {} });
      expect(repo.rows[1]).toMatchObject({ targetType: null, targetId: null });
    });

    it('hands the caller’s transaction to the repository', async () => {
      const { repo, audit } = setup();
      const tx = new SomeTransaction();
      await audit.record({ action: 'in-tx' }, tx);
      await audit.record({ action: 'on-its-own' });
      expect(repo.transactions[0]).toBe(tx);
      expect(repo.transactions[1]).toBeUndefined();
    });

    it('the TypeORM audit trail goes through the service: redaction and the transaction apply', async () => {
      const { repo, audit } = setup();
      const trail: AuditTrail = new TypeormAuditTrail(audit);
      const tx = new SomeTransaction();
      await trail.record({ action: 'api-key.created', actor: admin, details: { key: 'mgk_secret', name: 'ci' } }, tx);
      expect(repo.rows[0].details).toEqual({ key: REDACTED, name: 'ci' });
      expect(repo.transactions).toEqual([tx]);
    });
  });

  describe('list', () => {
    async function seeded() {
      const s = setup();
      await s.audit.record({ action: 'auth.login.failed', ip: '192.0.2.1' }); // :01
      await s.audit.record({ action: 'user.created', actor: admin, targetType: 'user', targetId: 'u-2' }); // :02
      await s.audit.record({ action: 'user.updated', actor: admin, targetType: 'user', targetId: 'u-2' }); // :03
      await s.audit.record({ action: 'model.created', actor: key, targetType: 'model', targetId: 'm-1' }); // :04
      await s.audit.record({ action: 'auth.login.failed', ip: '192.0.2.1' }); // :05
      return s;
    }

    it('answers newest first with the page and the total', async () => {
      const { audit } = await seeded();
      const page = await audit.list(query({ limit: 2, offset: 1 }));
      expect(page.items.map((e) => e.action)).toEqual(['model.created', 'user.updated']);
      expect(page.page).toEqual({ limit: 2, offset: 1, total: 5 });
      expect(page.items[0]).toMatchObject({
        actor: { kind: 'api-key', id: 'k-1', email: null },
        target: { type: 'model', id: 'm-1' },
        at: '2030-01-01T00:00:04.000Z',
      });
    });

    it('combines filters with AND', async () => {
      const { audit } = await seeded();
      const actions = async (q: Record<string, unknown>) =>
        (await audit.list(query({ limit: 50, offset: 0, ...q }))).items.map((e) => e.action);
      expect(await actions({ action: 'auth.login.failed' })).toEqual(['auth.login.failed', 'auth.login.failed']);
      expect(await actions({ actorId: 'u-admin' })).toEqual(['user.updated', 'user.created']);
      expect(await actions({ targetType: 'user', targetId: 'u-2', action: 'user.created' })).toEqual(['user.created']);
      expect(await actions({ targetType: 'model' })).toEqual(['model.created']);
      expect(await actions({ actorId: 'u-admin', targetType: 'model' })).toEqual([]);
    });

    it('takes `from` inclusive and `to` exclusive', async () => {
      const { audit } = await seeded();
      const page = await audit.list(query({ limit: 50, offset: 0, from: '2030-01-01T00:00:02.000Z', to: '2030-01-01T00:00:04.000Z' }));
      expect(page.items.map((e) => e.action)).toEqual(['user.updated', 'user.created']);
      expect(page.page.total).toBe(2);
    });
  });
});
