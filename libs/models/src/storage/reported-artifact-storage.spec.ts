import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeConfig, type ConfigEnv, toProblem } from '@app/common';
import { databaseConfig } from '@app/database';
import { registryConfig } from '../registry.config';

const loadConfig = (env: ConfigEnv) => composeConfig([databaseConfig, registryConfig], env);
import { ArtifactMissingError, ArtifactStorage } from './artifact-storage';
import { createArtifactStorage, sharedStorageWarning } from './artifact-storage.provider';
import { FilesystemArtifactStorage } from './filesystem-artifact-storage';
import { ReportedArtifactStorage } from './reported-artifact-storage';

const FILES = new Map([['model.json', Buffer.from('{}')]]);

function recordingLogger() {
  const lines: { level: string; entry: Record<string, unknown> }[] = [];
  return {
    lines,
    error: (entry: object) => void lines.push({ level: 'error', entry: entry as Record<string, unknown> }),
    log: (entry: object) => void lines.push({ level: 'log', entry: entry as Record<string, unknown> }),
    warn: (message: string) => void lines.push({ level: 'warn', entry: { msg: message } }),
  };
}

describe('a missing artifact', () => {
  it('is a 503 ARTIFACT_UNAVAILABLE problem with Retry-After, never a 500, and does not show the storage key', () => {
    const problem = toProblem(new ArtifactMissingError('model-1/version-1'), { requestId: 'r1', instance: '/v1/models/m/predict' });
    expect(problem.status).toBe(503);
    expect(problem.unexpected).toBe(false); // the problem filter does not log it per request
    expect(problem.headers['Retry-After']).toBe('30');
    expect(problem.body.code).toBe('ARTIFACT_UNAVAILABLE');
    expect(JSON.stringify(problem.body)).not.toContain('model-1/version-1');
  });
});

describe('ReportedArtifactStorage: missing artifacts are logged once per key', () => {
  let root: string;
  let inner: FilesystemArtifactStorage;
  let logger: ReturnType<typeof recordingLogger>;
  let storage: ReportedArtifactStorage;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'reported-'));
    inner = new FilesystemArtifactStorage(root);
    logger = recordingLogger();
    storage = new ReportedArtifactStorage(inner, logger);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const errorsFor = (key: string) => logger.lines.filter((l) => l.level === 'error' && l.entry.storageKey === key);

  it('logs the first miss of a key, not the following ones (sequential and concurrent)', async () => {
    for (let i = 0; i < 5; i++) await expect(storage.get('m/v1')).rejects.toBeInstanceOf(ArtifactMissingError);
    await Promise.all(Array.from({ length: 20 }, () => expect(storage.get('m/v1')).rejects.toBeInstanceOf(ArtifactMissingError)));
    expect(errorsFor('m/v1')).toHaveLength(1);
    expect(errorsFor('m/v1')[0].entry).toMatchObject({ storage: 'filesystem', code: 'ARTIFACT_UNAVAILABLE' });
    expect(String(errorsFor('m/v1')[0].entry.msg)).toMatch(/STORAGE_DRIVER=s3/);
    expect(logger.lines).toHaveLength(1);
  });

  it('logs each missing key once', async () => {
    for (const key of ['m/v1', 'm/v2', 'm/v1', 'm/v2', 'm/v3']) await storage.get(key).catch(() => undefined);
    expect(logger.lines.map((l) => l.entry.storageKey)).toEqual(['m/v1', 'm/v2', 'm/v3']);
    expect(storage.missingKeys).toEqual(['m/v1', 'm/v2', 'm/v3']);
  });

  it('says once when a key is back, and reports a later loss again', async () => {
    await storage.get('m/v1').catch(() => undefined);
    await inner.put('m/v1', FILES);
    expect(await storage.get('m/v1')).toEqual(FILES);
    expect(await storage.get('m/v1')).toEqual(FILES);
    expect(logger.lines.map((l) => l.level)).toEqual(['error', 'log']);
    await inner.delete('m/v1');
    await storage.get('m/v1').catch(() => undefined);
    await storage.get('m/v1').catch(() => undefined);
    expect(logger.lines.map((l) => l.level)).toEqual(['error', 'log', 'error']);
  });

  it('does not log reads that succeed, nor errors other than a missing artifact (they propagate unchanged)', async () => {
    await storage.put('m/v1', FILES);
    expect(await storage.get('m/v1')).toEqual(FILES);
    const failing: ArtifactStorage = {
      kind: 's3',
      get: () => Promise.reject(new Error('connection reset')),
      put: () => Promise.resolve(),
      delete: () => Promise.resolve(),
      exists: () => Promise.resolve(true),
    };
    const other = new ReportedArtifactStorage(failing, logger);
    await expect(other.get('m/v1')).rejects.toThrow('connection reset');
    expect(logger.lines).toEqual([]);
  });

  it('remembers a bounded number of keys', async () => {
    const small = new ReportedArtifactStorage(inner, logger, 2);
    for (const key of ['a/1', 'a/2', 'a/3']) await small.get(key).catch(() => undefined);
    expect(small.missingKeys).toEqual(['a/2', 'a/3']);
  });

  it('forgets a deleted key, and passes kind, put, exists and delete through', async () => {
    expect(storage.kind).toBe('filesystem');
    await storage.get('m/v1').catch(() => undefined);
    await storage.put('m/v1', FILES);
    expect(await storage.exists('m/v1')).toBe(true);
    await storage.delete('m/v1');
    expect(await storage.exists('m/v1')).toBe(false);
    expect(storage.missingKeys).toEqual([]);
  });
});

describe('start-up warning: Postgres with filesystem storage', () => {
  const base = { NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40) } as const;
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'storage-warning-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('warns once (one line) when DATABASE_URL is set and artifacts are on the filesystem', async () => {
    const logger = recordingLogger();
    const config = loadConfig({ ...base, DATA_DIR: dataDir, DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/modelgate' });
    const storage = await createArtifactStorage(config, logger);
    expect(storage.kind).toBe('filesystem');
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0].level).toBe('warn');
    expect(String(logger.lines[0].entry.msg)).toMatch(/filesystem .* Postgres \(DATABASE_URL\).*STORAGE_DRIVER=s3/);
  });

  it('stays quiet on the embedded database (one process) and with S3 storage', async () => {
    const logger = recordingLogger();
    await createArtifactStorage(loadConfig({ ...base, DATA_DIR: dataDir, PGLITE_DATA_DIR: 'memory' }), logger);
    expect(logger.lines).toEqual([]);
    const s3 = loadConfig({
      ...base,
      DATA_DIR: dataDir,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/modelgate',
      STORAGE_DRIVER: 's3',
      S3_BUCKET: 'modelgate',
    });
    expect(sharedStorageWarning(s3)).toBeUndefined();
  });
});
