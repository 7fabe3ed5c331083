import { createHash, randomBytes } from 'node:crypto';
import {
  DeleteObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { toProblem } from '@app/common';
import { ArtifactMissingError, S3ArtifactStorage } from '@app/models';
import { DataSource } from 'typeorm';
import { authHeader, bootstrapAdmin, tokenFor } from './support/auth';
import { readFixtureReference } from './support/fixtures';
import { createModel, transition, uploadVersion, versionIn } from './support/registry';
import { S3TestServer, startS3Server, uniqueBucket } from './support/s3-server';
import { startTestApp, TestApp } from './support/test-app';

/**
 * The S3 adapter against a real S3-compatible server (s3rver on 127.0.0.1, started by the test;
 * test/support/s3-server.ts), not the in-memory fake of the unit tests: request signing,
 * path-style URLs, the object layout, 404s mapped to ArtifactMissingError, large bodies,
 * paginated listings. Then the whole app with STORAGE_DRIVER=s3 against it: upload, predict,
 * download, and a 503 when the objects are gone.
 */

const FILES = new Map([
  ['model.json', Buffer.from('{"format":"layers-model"}')],
  ['weights/group1-shard1of1.bin', Buffer.from([0, 1, 2, 3])],
  ['assets/labels (v2) é.json', Buffer.from('["a","b"]')],
]);

async function allKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page: ListObjectsV2CommandOutput = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('S3 artifact storage on a real S3-compatible server (s3rver)', () => {
  let s3: S3TestServer;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await startS3Server();
    client = s3.client();
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
  }, 30_000);

  describe('the adapter', () => {
    const bucket = uniqueBucket('adapter');
    let storage: S3ArtifactStorage;
    let other: S3ArtifactStorage; // a second replica's adapter: own client, same bucket
    let otherClient: S3Client;

    beforeAll(async () => {
      storage = new S3ArtifactStorage(client, bucket, 'artifacts/');
      otherClient = s3.client();
      other = new S3ArtifactStorage(otherClient, bucket, 'artifacts/');
    });
    afterAll(() => otherClient?.destroy());

    it('creates a missing bucket, and leaves an existing one alone', async () => {
      await expect(client.send(new HeadBucketCommand({ Bucket: bucket }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
      await storage.ensureBucket();
      await storage.ensureBucket();
      await other.ensureBucket();
      await expect(client.send(new HeadBucketCommand({ Bucket: bucket }))).resolves.toBeDefined();
    });

    it('puts and gets an artifact byte for byte (nested paths, spaces, non-ASCII), visible to another client', async () => {
      const key = 'model-1/version-1';
      expect(await storage.exists(key)).toBe(false);
      await storage.put(key, FILES);
      expect(await storage.exists(key)).toBe(true);
      expect(await storage.get(key)).toEqual(FILES);
      expect(await other.get(key)).toEqual(FILES);
      // The documented layout: the files under <prefix><key>/ and the manifest beside them.
      expect(await allKeys(client, bucket, 'artifacts/model-1/')).toEqual(
        ['artifacts/model-1/version-1.manifest.json', ...[...FILES.keys()].map((p) => `artifacts/model-1/version-1/${p}`)].sort(),
      );
    });

    it('reports a missing key as ArtifactMissingError (503 ARTIFACT_UNAVAILABLE) and deletes idempotently', async () => {
      const error = await storage.get('model-1/nothing-here').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ArtifactMissingError);
      expect(toProblem(error, { requestId: 'r', instance: '/' })).toMatchObject({ status: 503, body: { code: 'ARTIFACT_UNAVAILABLE' } });
      expect(await storage.exists('model-1/nothing-here')).toBe(false);
      await storage.delete('model-1/nothing-here');
      // An unknown bucket is a missing artifact too, not a crash.
      await expect(new S3ArtifactStorage(client, uniqueBucket('absent')).get('model-1/version-1')).rejects.toBeInstanceOf(
        ArtifactMissingError,
      );
    });

    it('reports an artifact as missing when a file its manifest lists is gone, or before its manifest is written', async () => {
      const key = 'model-2/version-1';
      await storage.put(key, FILES);
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: `artifacts/${key}/weights/group1-shard1of1.bin` }));
      await expect(storage.get(key)).rejects.toBeInstanceOf(ArtifactMissingError);
      // Files without a manifest (a write cut short) are not an artifact.
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'artifacts/model-2/version-2/model.json', Body: '{}' }));
      expect(await storage.exists('model-2/version-2')).toBe(false);
      await expect(storage.get('model-2/version-2')).rejects.toBeInstanceOf(ArtifactMissingError);
    });

    it('deletes a whole artifact and nothing else (a key that is a prefix of another stays intact)', async () => {
      await storage.put('model-3/version-1', FILES);
      await storage.put('model-3/version-10', FILES);
      await storage.delete('model-3/version-1');
      expect(await storage.exists('model-3/version-1')).toBe(false);
      await expect(storage.get('model-3/version-1')).rejects.toBeInstanceOf(ArtifactMissingError);
      expect(await storage.get('model-3/version-10')).toEqual(FILES);
      expect(await allKeys(client, bucket, 'artifacts/model-3/')).toEqual(
        ['artifacts/model-3/version-10.manifest.json', ...[...FILES.keys()].map((p) => `artifacts/model-3/version-10/${p}`)].sort(),
      );
    });

    it('stores and reads back a large object intact (32 MiB shard)', async () => {
      const big = randomBytes(32 * 1024 * 1024);
      const key = 'model-4/version-1';
      await storage.put(
        key,
        new Map([
          ['model.json', Buffer.from('{}')],
          ['group1-shard1of1.bin', big],
        ]),
      );
      const back = await other.get(key);
      expect(back.get('group1-shard1of1.bin')!.length).toBe(big.length);
      expect(sha256(back.get('group1-shard1of1.bin')!)).toBe(sha256(big));
      await storage.delete(key);
      expect(await allKeys(client, bucket, `artifacts/${key}`)).toEqual([]);
    }, 60_000);

    it('deletes an artifact of more than 1,000 objects (paginated listing, batched deletes)', async () => {
      const key = 'model-5/version-1';
      const files = new Map(Array.from({ length: 1_050 }, (_, i) => [`part-${String(i).padStart(4, '0')}.bin`, Buffer.from([i % 256])]));
      await storage.put(key, files);
      const stored = await allKeys(client, bucket, `artifacts/${key}/`);
      expect(stored).toHaveLength(1_050); // read back over two pages (max 1,000 keys per page)
      await storage.delete(key);
      expect(await storage.exists(key)).toBe(false);
      expect(await allKeys(client, bucket, `artifacts/${key}`)).toEqual([]);
    }, 120_000);
  });

  describe('the app with STORAGE_DRIVER=s3', () => {
    const bucket = uniqueBucket('app');
    let t: TestApp;
    let engineer: string;
    const reference = readFixtureReference('classifier');

    beforeAll(async () => {
      t = await startTestApp({ ...s3.env(bucket), SERVING_RESOLVE_TTL_MS: '0' });
      await bootstrapAdmin(t);
      engineer = await tokenFor(t, 'ml-engineer');
    }, 60_000);
    afterAll(() => t?.close(), 30_000);

    it('is configured for this server, path-style', () => {
      expect(t.config.registry.storage).toMatchObject({ kind: 's3', bucket, endpoint: s3.endpoint, forcePathStyle: true });
    });

    it('uploads into the bucket (created at start-up), predicts from it and downloads it', async () => {
      await createModel(t, engineer, 'iris', { task: 'classification' });
      await versionIn(t, engineer, 'iris', 'production');
      const [{ key }] = (await t.app.get(DataSource).query(`SELECT artifact_key AS key FROM model_versions`)) as { key: string }[];
      const objects = await allKeys(client, bucket, 'artifacts/');
      expect(objects).toContain(`artifacts/${key}.manifest.json`);
      expect(objects.filter((k) => k.startsWith(`artifacts/${key}/`)).length).toBeGreaterThanOrEqual(2); // model.json + shard(s)

      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/models/iris/predict',
        headers: authHeader(engineer),
        payload: { instances: reference.inputs },
      });
      expect(res.statusCode).toBe(200);
      res
        .json()
        .predictions.forEach((row: number[], r: number) =>
          row.forEach((v, c) => expect(Math.abs(v - reference.outputs[r][c])).toBeLessThanOrEqual(1e-5)),
        );
      const download = await t.app.inject({ method: 'GET', url: '/v1/models/iris/versions/1/artifact', headers: authHeader(engineer) });
      expect(download.statusCode).toBe(200);
      expect(download.headers['content-type']).toMatch(/application\/gzip/);
    });

    it('answers 503 ARTIFACT_UNAVAILABLE when a version’s objects are gone from the bucket', async () => {
      const upload = await uploadVersion(t, engineer, 'iris');
      expect(upload.statusCode).toBe(201);
      expect((await transition(t, engineer, 'iris', 2, { to: 'staging' })).statusCode).toBe(200);
      const [{ key }] = (await t.app.get(DataSource).query(`SELECT artifact_key AS key FROM model_versions WHERE version = 2`)) as {
        key: string;
      }[];
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: `artifacts/${key}.manifest.json` }));
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/models/iris/versions/2/predict',
        headers: authHeader(engineer),
        payload: { instances: reference.inputs },
      });
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('ARTIFACT_UNAVAILABLE');
      expect(res.headers['retry-after']).toBe('30');
      // Version 1 is untouched.
      const v1 = await t.app.inject({
        method: 'POST',
        url: '/v1/models/iris/versions/1/predict',
        headers: authHeader(engineer),
        payload: { instances: reference.inputs },
      });
      expect(v1.statusCode).toBe(200);
    });
  });
});
