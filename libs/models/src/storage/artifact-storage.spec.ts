import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { ArtifactMissingError, ArtifactStorage } from './artifact-storage';
import { FilesystemArtifactStorage } from './filesystem-artifact-storage';
import { S3ArtifactStorage, S3Sender } from './s3-artifact-storage';

const FILES = new Map([
  ['model.json', Buffer.from('{"format":"layers-model"}')],
  ['weights/group1-shard1of1.bin', Buffer.from([0, 1, 2, 3])],
]);
const KEY = 'model-1/version-1';

/** An in-memory S3: enough of the API for the adapter, keyed like the real thing. */
class FakeS3 implements S3Sender {
  readonly objects = new Map<string, Buffer>();
  buckets = new Set<string>();
  failPutOf?: string;

  send = (async (command: unknown) => {
    const input = (command as { input: Record<string, unknown> }).input;
    const notFound = () => Object.assign(new Error('not found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
    if (command instanceof HeadBucketCommand) {
      if (!this.buckets.has(input.Bucket as string)) throw notFound();
      return {};
    }
    if (command instanceof CreateBucketCommand) return void this.buckets.add(input.Bucket as string);
    const id = `${input.Bucket as string}/${input.Key as string}`;
    if (command instanceof PutObjectCommand) {
      if (this.failPutOf && (input.Key as string).endsWith(this.failPutOf)) throw new Error('disk full');
      const body = input.Body;
      this.objects.set(id, Buffer.isBuffer(body) ? body : Buffer.from(String(body)));
      return {};
    }
    if (command instanceof GetObjectCommand || command instanceof HeadObjectCommand) {
      const data = this.objects.get(id);
      if (!data) throw Object.assign(notFound(), { name: 'NoSuchKey' });
      return command instanceof HeadObjectCommand ? {} : { Body: { transformToByteArray: async () => new Uint8Array(data) } };
    }
    if (command instanceof ListObjectsV2Command) {
      const prefix = `${input.Bucket as string}/${input.Prefix as string}`;
      const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(`${input.Bucket as string}/`.length));
      return { Contents: keys.map((Key) => ({ Key })), IsTruncated: false };
    }
    if (command instanceof DeleteObjectsCommand) {
      const del = input.Delete as { Objects: { Key: string }[] };
      for (const o of del.Objects) this.objects.delete(`${input.Bucket as string}/${o.Key}`);
      return {};
    }
    throw new Error(`unexpected command ${(command as object).constructor.name}`);
  }) as S3Sender['send'];
}

function contract(name: string, make: () => { storage: ArtifactStorage; cleanup?: () => void }) {
  describe(`${name} artifact storage`, () => {
    let storage: ArtifactStorage;
    let cleanup: (() => void) | undefined;
    beforeEach(() => ({ storage, cleanup } = make()));
    afterEach(() => cleanup?.());

    it('stores, reads back, reports and deletes a version artifact', async () => {
      expect(await storage.exists(KEY)).toBe(false);
      await storage.put(KEY, FILES);
      expect(await storage.exists(KEY)).toBe(true);
      expect(await storage.get(KEY)).toEqual(FILES);
      await storage.delete(KEY);
      expect(await storage.exists(KEY)).toBe(false);
      await expect(storage.get(KEY)).rejects.toBeInstanceOf(ArtifactMissingError);
      await storage.delete(KEY); // idempotent
    });

    it('keeps artifacts under different keys apart', async () => {
      await storage.put(KEY, FILES);
      await storage.put('model-1/version-2', new Map([['model.json', Buffer.from('{}')]]));
      expect((await storage.get(KEY)).size).toBe(2);
      expect([...(await storage.get('model-1/version-2')).keys()]).toEqual(['model.json']);
    });

    it('refuses keys that are not registry ids', async () => {
      await expect(storage.put('../escape', FILES)).rejects.toThrow(/Invalid artifact storage key/);
    });
  });
}

contract('filesystem', () => {
  const root = mkdtempSync(join(tmpdir(), 'artifacts-'));
  return { storage: new FilesystemArtifactStorage(root), cleanup: () => rmSync(root, { recursive: true, force: true }) };
});

contract('s3 (fake client)', () => ({ storage: new S3ArtifactStorage(new FakeS3(), 'bucket', 'artifacts/') }));

describe('S3 artifact storage specifics', () => {
  it('writes the manifest last and cleans up the files when a write fails', async () => {
    const s3 = new FakeS3();
    s3.failPutOf = 'group1-shard1of1.bin';
    const storage = new S3ArtifactStorage(s3, 'bucket', 'artifacts/');
    await expect(storage.put(KEY, FILES)).rejects.toThrow('disk full');
    expect(await storage.exists(KEY)).toBe(false);
    expect([...s3.objects.keys()]).toEqual([]);
  });

  it('reports an artifact whose manifest lists a file that is gone as missing (not a raw S3 error)', async () => {
    const s3 = new FakeS3();
    const storage = new S3ArtifactStorage(s3, 'bucket', 'artifacts/');
    await storage.put(KEY, FILES);
    s3.objects.delete(`bucket/artifacts/${KEY}/weights/group1-shard1of1.bin`);
    await expect(storage.get(KEY)).rejects.toBeInstanceOf(ArtifactMissingError);
  });

  it('creates a missing bucket once', async () => {
    const s3 = new FakeS3();
    const storage = new S3ArtifactStorage(s3, 'fresh', '');
    await storage.ensureBucket();
    await storage.ensureBucket();
    expect([...s3.buckets]).toEqual(['fresh']);
  });

  it('can be constructed over a real client configured for MinIO', () => {
    const client = new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true });
    expect(new S3ArtifactStorage(client, 'modelgate').kind).toBe('s3');
    client.destroy();
  });
});

describe('filesystem artifact storage specifics', () => {
  it('leaves nothing under the key when a write fails half-way', async () => {
    const root = mkdtempSync(join(tmpdir(), 'artifacts-'));
    const storage = new FilesystemArtifactStorage(root);
    // A directory and a file with the same name cannot both exist: the second write fails.
    const clash = new Map([
      ['a', Buffer.from('file')],
      ['a/b', Buffer.from('nested')],
    ]);
    await expect(storage.put(KEY, clash)).rejects.toThrow();
    expect(await storage.exists(KEY)).toBe(false);
    expect(readdirSync(join(root, '.staging'))).toEqual([]);
    rmSync(root, { recursive: true, force: true });
  });
});
