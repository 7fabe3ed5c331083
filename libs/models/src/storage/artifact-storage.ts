import type { ArtifactFiles } from '@app/inference';

/**
 * Where version artifacts live. A key names one version's artifact (a set of files); `put` makes
 * it visible all at once or not at all, so a reader never sees half an artifact.
 */
export interface ArtifactStorage {
  readonly kind: 'filesystem' | 's3';
  put(key: string, files: ArtifactFiles): Promise<void>;
  /** Throws ArtifactMissingError when nothing is stored under the key. */
  get(key: string): Promise<ArtifactFiles>;
  /** Idempotent: deleting a missing artifact is not an error. */
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
}

export const ARTIFACT_STORAGE = Symbol('ARTIFACT_STORAGE');

export class ArtifactMissingError extends Error {
  constructor(readonly key: string) {
    super(`No artifact is stored under "${key}".`);
    this.name = 'ArtifactMissingError';
  }
}

const KEY = /^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*)*$/;

/** Keys are built by the registry from ids; anything else is a bug, never user input. */
export function assertStorageKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`Invalid artifact storage key "${key}".`);
}
