import type { ArtifactFiles } from '@app/inference';
import { ArtifactMissingError, ArtifactStorage } from './artifact-storage';

export interface MissingArtifactLogger {
  error(message: object): void;
  log(message: object): void;
}

/** Keys remembered as missing at most; beyond it the oldest is forgotten (and would be logged again). */
const MAX_REMEMBERED_KEYS = 10_000;

/**
 * Wraps the chosen adapter so that an artifact missing from storage is logged once per key, when
 * it is first found missing, rather than on every request that needs it (each of those answers
 * 503 ARTIFACT_UNAVAILABLE, which the problem filter does not log). When the key is readable
 * again (restored, or the storage was fixed) that is logged once too, and a later loss of it is
 * reported afresh.
 */
export class ReportedArtifactStorage implements ArtifactStorage {
  private readonly missing = new Set<string>();

  constructor(
    private readonly inner: ArtifactStorage,
    private readonly logger: MissingArtifactLogger,
    private readonly maxRemembered = MAX_REMEMBERED_KEYS,
  ) {}

  get kind(): ArtifactStorage['kind'] {
    return this.inner.kind;
  }

  /** Keys currently known to be missing (for tests and diagnostics). */
  get missingKeys(): readonly string[] {
    return [...this.missing];
  }

  put(key: string, files: ArtifactFiles): Promise<void> {
    return this.inner.put(key, files);
  }

  async get(key: string): Promise<ArtifactFiles> {
    let files: ArtifactFiles;
    try {
      files = await this.inner.get(key);
    } catch (error) {
      if (error instanceof ArtifactMissingError) this.reportMissing(key);
      throw error;
    }
    if (this.missing.delete(key)) {
      this.logger.log({ storageKey: key, storage: this.inner.kind, msg: 'artifact is available again' });
    }
    return files;
  }

  async delete(key: string): Promise<void> {
    await this.inner.delete(key);
    this.missing.delete(key);
  }

  exists(key: string): Promise<boolean> {
    return this.inner.exists(key);
  }

  private reportMissing(key: string): void {
    if (this.missing.has(key)) return;
    if (this.missing.size >= this.maxRemembered) this.missing.delete(this.missing.values().next().value as string);
    this.missing.add(key);
    this.logger.error({
      storageKey: key,
      storage: this.inner.kind,
      code: 'ARTIFACT_UNAVAILABLE',
      msg:
        `artifact missing from ${this.inner.kind} storage although the registry refers to it; requests that need it ` +
        'answer 503 ARTIFACT_UNAVAILABLE (logged once per key). With more than one replica, artifacts must be on ' +
        'shared storage (STORAGE_DRIVER=s3)',
    });
  }
}
