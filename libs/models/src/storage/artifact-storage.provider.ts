import { Logger, LoggerService, Provider } from '@nestjs/common';
import { S3Client } from '@aws-sdk/client-s3';
import { databaseConfig, type DatabaseConfig } from '@app/database';
import { registryConfig, type RegistryConfig } from '../registry.config';
import { ARTIFACT_STORAGE, ArtifactStorage } from './artifact-storage';
import { FilesystemArtifactStorage } from './filesystem-artifact-storage';
import { ReportedArtifactStorage } from './reported-artifact-storage';
import { S3ArtifactStorage } from './s3-artifact-storage';

/** The one place the storage adapter is chosen (STORAGE_DRIVER, or S3 when S3_BUCKET is set). */
export const artifactStorageProvider: Provider = {
  provide: ARTIFACT_STORAGE,
  inject: [registryConfig.token, databaseConfig.token],
  useFactory: (registry: RegistryConfig, database: DatabaseConfig) => createArtifactStorage({ registry, database }),
};

/** What choosing the storage depends on: the registry's settings, and whether the database is shared. */
export interface StorageSettings {
  readonly registry: Pick<RegistryConfig, 'storage'>;
  readonly database: Pick<DatabaseConfig, 'url'>;
}

type StorageLogger = Pick<LoggerService, 'log' | 'warn' | 'error'>;

export async function createArtifactStorage(
  config: StorageSettings,
  logger: StorageLogger = new Logger('ArtifactStorage'),
): Promise<ArtifactStorage> {
  const warning = sharedStorageWarning(config);
  if (warning) logger.warn(warning);
  return new ReportedArtifactStorage(await chooseAdapter(config, logger), logger);
}

/**
 * A Postgres deployment can run several replicas; artifacts on the filesystem are then visible to
 * the replica that stored them only (the others answer 503 ARTIFACT_UNAVAILABLE). Said once at
 * start-up, since one replica alone cannot tell whether it has siblings.
 */
export function sharedStorageWarning(config: StorageSettings): string | undefined {
  if (!config.database.url || config.registry.storage.kind !== 'filesystem') return undefined;
  return (
    `artifacts are stored on the local filesystem (${config.registry.storage.root}) while the database is Postgres ` +
    '(DATABASE_URL): other replicas cannot read them and will answer 503 ARTIFACT_UNAVAILABLE; with more than one ' +
    'replica use shared storage (STORAGE_DRIVER=s3)'
  );
}

async function chooseAdapter(config: StorageSettings, logger: StorageLogger): Promise<ArtifactStorage> {
  const c = config.registry.storage;
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
    logger.warn(`S3 bucket "${c.bucket}" is not usable yet: ${(error as Error).message}`);
  });
  return storage;
}
