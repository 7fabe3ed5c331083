import { Logger, Provider } from '@nestjs/common';
import { S3Client } from '@aws-sdk/client-s3';
import { APP_CONFIG, AppConfig } from '@app/common';
import { ARTIFACT_STORAGE, ArtifactStorage } from './artifact-storage';
import { FilesystemArtifactStorage } from './filesystem-artifact-storage';
import { S3ArtifactStorage } from './s3-artifact-storage';

/** The one place the storage adapter is chosen (STORAGE_DRIVER, or S3 when S3_BUCKET is set). */
export const artifactStorageProvider: Provider = {
  provide: ARTIFACT_STORAGE,
  inject: [APP_CONFIG],
  useFactory: async (config: AppConfig): Promise<ArtifactStorage> => {
    const c = config.artifactStorage;
    if (c.kind === 'filesystem') return new FilesystemArtifactStorage(c.root);
    const client = new S3Client({
      region: c.region,
      endpoint: c.endpoint,
      forcePathStyle: c.forcePathStyle,
      credentials: c.credentials ? { ...c.credentials } : undefined,
    });
    const storage = new S3ArtifactStorage(client, c.bucket, c.prefix);
    // A missing bucket is created (fresh MinIO). An unreachable store is logged, not fatal: the
    // API still starts, and uploads/downloads fail with the store's error until it is back.
    await storage.ensureBucket().catch((error: unknown) => {
      new Logger('ArtifactStorage').warn(`S3 bucket "${c.bucket}" is not usable yet: ${(error as Error).message}`);
    });
    return storage;
  },
};
