import { DataSource } from 'typeorm';
import { TypeormUnitOfWork } from '@app/database';
import { TypeormAuditEventsRepository } from './audit-events.typeorm-repository';
import { AuditService } from './audit.service';
import { ListAuditEventsQueryDto } from './dto/list-audit-events.query.dto';
import { AuditEventEntity } from './entities/audit-event.entity';
import { REDACTED } from './redact';
import { IntegrationDatabase, integrationDatabase } from '@app/database/testing';

/** The audit log on its TypeORM repository against a real (embedded) Postgres. */
describe('AuditService on TypeORM', () => {
  let db: IntegrationDatabase;
  let ds: DataSource;
  let audit: AuditService;

  beforeAll(async () => {
    // Only what these tables need, on PGlite or (TEST_DATABASE_URL) a fresh Postgres database.
    db = await integrationDatabase({ migrations: ['Baseline1764000000000', 'AuditEvents1764000001000'], entities: [AuditEventEntity] });
    ds = db.ds;
    audit = new AuditService(new TypeormAuditEventsRepository(ds));
  }, 60_000);
  afterAll(() => db?.close());

  it('stores redacted events; one recorded in a transaction goes with it; lists with filters, newest first', async () => {
    const uow = new TypeormUnitOfWork(ds);
    await audit.record({ action: 'int-spec.one', targetType: 'user', targetId: 'u-1', details: { password: 'p', keep: 1 } });
    await uow.run((tx) => audit.record({ action: 'int-spec.two', targetType: 'user', targetId: 'u-1' }, tx));
    await expect(
      uow.run(async (tx) => {
        await audit.record({ action: 'int-spec.rolled-back' }, tx);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const page = await audit.list(Object.assign(new ListAuditEventsQueryDto(), { targetId: 'u-1', limit: 10, offset: 0 }));
    expect(page.items.map((e) => e.action)).toEqual(['int-spec.two', 'int-spec.one']);
    expect(page.items[1].details).toEqual({ password: REDACTED, keep: 1 });
    expect(page.items[1].actor).toEqual({ kind: 'system', id: null, email: null });
    expect(
      (await audit.list(Object.assign(new ListAuditEventsQueryDto(), { action: 'int-spec.rolled-back', limit: 10, offset: 0 }))).page.total,
    ).toBe(0);
  });
});
