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
import type { ArtifactFiles } from '@app/inference';
import { ArtifactMissingError, ArtifactStorage, assertStorageKey } from './artifact-storage';

interface Manifest {
  files: { path: string; size: number }[];
}

/** The subset of S3Client this adapter uses, so tests can hand in a fake. */
export type S3Sender = Pick<S3Client, 'send'>;

/**
 * Artifacts in an S3-compatible bucket (AWS S3, MinIO, ...). Object stores have no atomic
 * multi-object write, so the files go first and a manifest object last: an artifact exists once
 * its manifest does, and readers only fetch what the manifest lists. Delete removes the manifest
 * first for the same reason.
 *
 *   <prefix><key>.manifest.json   {"files":[{"path","size"}]}
 *   <prefix><key>/<path>          each file
 */
export class S3ArtifactStorage implements ArtifactStorage {
  readonly kind = 's3' as const;

  constructor(
    private readonly client: S3Sender,
    private readonly bucket: string,
    private readonly prefix = '',
  ) {}

  /** Creates the bucket when it is missing (a fresh MinIO); an existing one is left alone. */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  async put(key: string, files: ArtifactFiles): Promise<void> {
    const manifest: Manifest = { files: [] };
    try {
      for (const [path, data] of files) {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.fileKey(key, path), Body: data }));
        manifest.files.push({ path, size: data.length });
      }
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.manifestKey(key),
          Body: JSON.stringify(manifest),
          ContentType: 'application/json',
        }),
      );
    } catch (error) {
      await this.delete(key).catch(() => undefined);
      throw error;
    }
  }

  async get(key: string): Promise<ArtifactFiles> {
    let manifest: Manifest;
    try {
      manifest = JSON.parse((await this.read(this.manifestKey(key))).toString('utf8')) as Manifest;
    } catch (error) {
      if (isNotFound(error)) throw new ArtifactMissingError(key);
      throw error;
    }
    const files: ArtifactFiles = new Map();
    for (const { path } of manifest.files) {
      try {
        files.set(path, await this.read(this.fileKey(key, path)));
      } catch (error) {
        // A file the manifest lists is gone: the artifact is incomplete, hence unavailable as a whole.
        if (isNotFound(error)) throw new ArtifactMissingError(key);
        throw error;
      }
    }
    return files;
  }

  async delete(key: string): Promise<void> {
    const keys = [this.manifestKey(key)];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.prefix}${key}/`, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    // The manifest is first in the list, so a partial failure leaves an invisible artifact.
    for (let i = 0; i < keys.length; i += 1000) {
      await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
        }),
      );
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.manifestKey(key) }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  private async read(objectKey: string): Promise<Buffer> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    if (!out.Body) throw new Error(`Object ${objectKey} has no body.`);
    return Buffer.from(await out.Body.transformToByteArray());
  }

  private manifestKey(key: string): string {
    assertStorageKey(key);
    return `${this.prefix}${key}.manifest.json`;
  }

  private fileKey(key: string, path: string): string {
    assertStorageKey(key);
    return `${this.prefix}${key}/${path}`;
  }
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.name === 'NoSuchBucket' || e?.$metadata?.httpStatusCode === 404;
}
