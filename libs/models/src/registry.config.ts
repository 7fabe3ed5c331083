import { join, resolve } from 'node:path';
import { z } from 'zod';
import { bool, defineConfig, int, optionalUrl, sharedVariables, type ConfigOf } from '@app/common';

/** The model registry: artifact bounds, the deprecation cycle, and where artifacts are stored. */
export const registryConfig = defineConfig({
  key: 'registry',
  variables: {
    DATA_DIR: sharedVariables.DATA_DIR,
    MAX_ARTIFACT_BYTES: int(200 * 1024 * 1024, 1024),
    MAX_ARTIFACT_FILES: int(100, 1, 10_000),
    DEFAULT_SUNSET_DAYS: int(90, 1, 3650),
    SUNSET_SWEEP_INTERVAL_SECONDS: int(60, 0, 86_400),
    PROMOTION_REQUIRES_APPROVAL: bool.default(false),
    STORAGE_DRIVER: z.enum(['filesystem', 's3']).optional(),
    S3_ENDPOINT: optionalUrl,
    S3_BUCKET: z.string().trim().min(3).optional(),
    S3_REGION: z.string().default('us-east-1'),
    S3_ACCESS_KEY_ID: z.string().optional(),
    S3_SECRET_ACCESS_KEY: z.string().optional(),
    S3_FORCE_PATH_STYLE: bool.optional(),
    S3_PREFIX: z.string().default('artifacts/'),
  },
  check: (e, issue) => {
    if (e.STORAGE_DRIVER === 's3' && !e.S3_BUCKET) issue('S3_BUCKET', 'is required when STORAGE_DRIVER=s3');
    if (Boolean(e.S3_ACCESS_KEY_ID) !== Boolean(e.S3_SECRET_ACCESS_KEY)) {
      issue('S3_SECRET_ACCESS_KEY', 'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together');
    }
  },
  build: (e) => ({
    /** Upper bound of an artifact: the upload body, and the decompressed size of an archive. */
    maxArtifactBytes: e.MAX_ARTIFACT_BYTES,
    maxArtifactFiles: e.MAX_ARTIFACT_FILES,
    /** Days between a version's deprecation (by promotion of a successor) and its retirement. */
    defaultSunsetDays: e.DEFAULT_SUNSET_DAYS,
    /** How often deprecated versions past their sunset are retired; 0 turns the sweep off. */
    sunsetSweepIntervalSeconds: e.SUNSET_SWEEP_INTERVAL_SECONDS,
    /** Every model's moves to production wait for an approver (a model's `requireApproval` asks it of one). */
    promotionRequiresApproval: e.PROMOTION_REQUIRES_APPROVAL,
    // S3 when asked for, or when a bucket is configured without a choice; else files under DATA_DIR.
    storage: storageOf(e),
  }),
});
export type RegistryConfig = ConfigOf<typeof registryConfig>;

export type ArtifactStorageConfig =
  | { readonly kind: 'filesystem'; readonly root: string }
  | {
      readonly kind: 's3';
      readonly bucket: string;
      readonly prefix: string;
      readonly region: string;
      readonly endpoint?: string;
      readonly forcePathStyle: boolean;
      readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
    };

function storageOf(e: {
  DATA_DIR: string;
  STORAGE_DRIVER?: 'filesystem' | 's3';
  S3_BUCKET?: string;
  S3_PREFIX: string;
  S3_REGION: string;
  S3_ENDPOINT?: string;
  S3_FORCE_PATH_STYLE?: boolean;
  S3_ACCESS_KEY_ID?: string;
  S3_SECRET_ACCESS_KEY?: string;
}): ArtifactStorageConfig {
  if ((e.STORAGE_DRIVER ?? (e.S3_BUCKET ? 's3' : 'filesystem')) === 'filesystem') {
    return { kind: 'filesystem', root: join(resolve(e.DATA_DIR), 'artifacts') };
  }
  return {
    kind: 's3',
    bucket: e.S3_BUCKET!,
    prefix: e.S3_PREFIX,
    region: e.S3_REGION,
    endpoint: e.S3_ENDPOINT,
    // MinIO and most S3-compatible servers want path-style URLs.
    forcePathStyle: e.S3_FORCE_PATH_STYLE ?? Boolean(e.S3_ENDPOINT),
    credentials:
      e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY
        ? { accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY }
        : undefined,
  };
}
