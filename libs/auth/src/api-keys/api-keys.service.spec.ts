import { SchedulerRegistry } from '@nestjs/schedule';
import { Actor, loadConfigSlice, ValidationFailedError } from '@app/common';
import { databaseConfig } from '@app/database';
import { ScheduledJobs } from '@app/database';
import { CallerDirectory } from '../access/caller-directory';
import { inMemoryAuthPersistence } from '../testing/in-memory-repositories';
import { sha256 } from '../tokens/secrets';
import { ApiKeyUsage } from './api-key-usage';
import { ApiKeysService } from './api-keys.service';

/** Service accounts' rules (create, list, revoke, expiry, last use) over in-memory repositories. */
describe('ApiKeysService', () => {
  const config = loadConfigSlice(databaseConfig, { PGLITE_DATA_DIR: 'memory' });
  const admin: Actor = {
    caller: { id: '11111111-1111-4111-8111-111111111111', kind: 'user', roles: ['admin'] },
    requestId: 'r',
    ip: '::1',
  };
  let p: ReturnType<typeof inMemoryAuthPersistence>;
  let directory: CallerDirectory;
  let usage: ApiKeyUsage;
  let keys: ApiKeysService;

  beforeEach(() => {
    p = inMemoryAuthPersistence();
    directory = new CallerDirectory(p.users, p.apiKeys, config);
    usage = new ApiKeyUsage(p.apiKeys, new ScheduledJobs(new SchedulerRegistry(), p.transactions));
    keys = new ApiKeysService(p.apiKeys, p.transactions, p.audit, directory, usage);
  });
  afterEach(() => jest.restoreAllMocks());

  describe('create', () => {
    it('shows the key and client secret once, stores only their hashes, and audits without secrets', async () => {
      const created = await keys.create({ name: 'ci', role: 'ml-engineer' }, admin);
      expect(created).toEqual({
        id: expect.any(String),
        name: 'ci',
        role: 'ml-engineer',
        key: expect.stringMatching(/^mgk_/),
        clientId: expect.stringMatching(/^mgc_[0-9a-f]{24}$/),
        clientSecret: expect.stringMatching(/^mgs_/),
        expiresAt: null,
        createdAt: expect.any(String),
      });
      const row = p.apiKeys.store.rows.get(created.id)!;
      expect(row).toMatchObject({
        keyHash: sha256(created.key),
        clientSecretHash: sha256(created.clientSecret),
        keyPrefix: created.key.slice(0, 10),
        createdBy: admin.caller.id,
        revokedAt: null,
      });
      expect(JSON.stringify(row)).not.toContain(created.key);
      expect(JSON.stringify(p.audit.events)).not.toContain(created.clientSecret);
      expect(p.audit.events).toEqual([
        expect.objectContaining({
          action: 'api-key.created',
          targetId: created.id,
          details: expect.objectContaining({ clientId: created.clientId }),
        }),
      ]);
      expect(await directory.apiKey(created.key)).toEqual({ id: created.id, kind: 'api-key', roles: ['ml-engineer'] });
      expect(await keys.findClient(created.clientId)).toMatchObject({ id: created.id });
      expect(await keys.findClient('mgc_not-a-client-id')).toBeNull();
    });

    it('refuses an expiry in the past, writing nothing; a system-made key has no creator', async () => {
      await expect(
        keys.create({ name: 'old', role: 'consumer', expiresAt: new Date(Date.now() - 1000).toISOString() }, admin),
      ).rejects.toBeInstanceOf(ValidationFailedError);
      expect(p.apiKeys.store.all()).toHaveLength(0);
      const created = await keys.create({ name: 'sys', role: 'consumer' }, null);
      expect(p.apiKeys.store.rows.get(created.id)!.createdBy).toBeNull();
    });
  });

  it('an expired key is refused from its expiry on', async () => {
    const expiresAt = new Date(Date.now() + 60_000);
    const created = await keys.create({ name: 'temp', role: 'consumer', expiresAt: expiresAt.toISOString() }, admin);
    expect(created.expiresAt).toBe(expiresAt.toISOString());
    expect(await directory.apiKey(created.key)).not.toBeNull();
    jest.spyOn(Date, 'now').mockReturnValue(expiresAt.getTime());
    expect(await directory.apiKey(created.key)).toBeNull();
    expect(await directory.apiKeyById(created.id)).toBeNull();
  });

  describe('revoke', () => {
    it('revokes at once (the directory forgets the key), audits once, and is idempotent', async () => {
      const created = await keys.create({ name: 'gone', role: 'consumer' }, admin);
      // Unknown until looked up once; then known without a promise (the guard's hot path).
      expect(directory.apiKeyNow(created.key)).toBeUndefined();
      expect(await directory.apiKey(created.key)).not.toBeNull();
      expect(directory.apiKeyNow(created.key)).toEqual({ id: created.id, kind: 'api-key', roles: ['consumer'] });
      await keys.revoke(created.id, admin);
      expect(p.apiKeys.store.rows.get(created.id)!.revokedAt).toBeInstanceOf(Date);
      expect(directory.apiKeyNow(created.key)).toBeUndefined();
      expect(await directory.apiKey(created.key)).toBeNull();
      expect(directory.apiKeyNow(created.key)).toBeNull();
      expect(directory.apiKeyNow('not-a-key')).toBeNull();
      const revokedAt = p.apiKeys.store.rows.get(created.id)!.revokedAt;
      await keys.revoke(created.id, admin);
      expect(p.apiKeys.store.rows.get(created.id)!.revokedAt).toBe(revokedAt);
      expect(p.audit.actions()).toEqual(['api-key.created', 'api-key.revoked']);
    });

    it('answers API_KEY_NOT_FOUND for unknown and malformed ids', async () => {
      await expect(keys.revoke('00000000-0000-4000-8000-000000000000', admin)).rejects.toMatchObject({ code: 'API_KEY_NOT_FOUND' });
      await expect(keys.revoke('nope', admin)).rejects.toMatchObject({ code: 'API_KEY_NOT_FOUND' });
    });
  });

  it('lists oldest first, without revoked keys unless asked, with uses not yet written', async () => {
    const a = await keys.create({ name: 'a', role: 'consumer' }, admin);
    const b = await keys.create({ name: 'b', role: 'consumer' }, admin);
    await keys.revoke(a.id, admin);
    const at = new Date();
    usage.touch(b.id, at);
    expect((await keys.list({ includeRevoked: false, limit: 10, offset: 0 })).items).toEqual([
      expect.objectContaining({ id: b.id, lastUsedAt: at.toISOString() }),
    ]);
    const all = await keys.list({ includeRevoked: true, limit: 10, offset: 0 });
    expect(all.items.map((k) => k.name)).toEqual(['a', 'b']);
    expect(all.page.total).toBe(2);
  });

  describe('ApiKeyUsage', () => {
    it('writes the latest uses in one flush, never moving lastUsedAt back', async () => {
      const created = await keys.create({ name: 'used', role: 'consumer' }, admin);
      const later = new Date(Date.now() + 10_000);
      usage.touch(created.id, later);
      expect(await usage.flush()).toBe(1);
      expect(p.apiKeys.store.rows.get(created.id)!.lastUsedAt).toEqual(later);
      usage.touch(created.id, new Date(later.getTime() - 5_000));
      await usage.flush();
      expect(p.apiKeys.store.rows.get(created.id)!.lastUsedAt).toEqual(later);
      expect(await usage.flush()).toBe(0);
    });

    it('keeps the uses for the next flush when writing fails, unless newer ones arrived', async () => {
      const at = new Date();
      usage.touch('k1', at);
      usage.touch('k2', at);
      const newer = new Date(at.getTime() + 1_000);
      jest.spyOn(p.apiKeys, 'recordUses').mockImplementationOnce(async () => {
        usage.touch('k2', newer);
        throw new Error('database down');
      });
      await expect(usage.flush()).rejects.toThrow('database down');
      expect(usage.pendingFor('k1')).toEqual(at);
      expect(usage.pendingFor('k2')).toEqual(newer);
    });
  });
});
