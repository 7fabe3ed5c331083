import { DomainError } from '@app/common';
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

/** Seconds a client should wait before retrying a request whose artifact is unavailable. */
export const ARTIFACT_RETRY_AFTER_SECONDS = 30;

/**
 * Nothing (or only part of an artifact) is stored under the key, although the registry points at
 * it: storage that is not shared between replicas, a restore in progress, files removed by hand.
 * Not the caller's fault and possibly temporary, so it answers 503 ARTIFACT_UNAVAILABLE with
 * Retry-After, never a 500. The key is kept for the log line and never shown to callers.
 */
export class ArtifactMissingError extends DomainError {
  constructor(readonly key: string) {
    super(
      'unavailable',
      'ARTIFACT_UNAVAILABLE',
      'A stored artifact this request needs is not available on this server; retry after the number of seconds in Retry-After.',
      { headers: { 'Retry-After': String(ARTIFACT_RETRY_AFTER_SECONDS) } },
    );
  }
}

const KEY = /^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*)*$/;

/** Keys are built by the registry from ids; anything else is a bug, never user input. */
export function assertStorageKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`Invalid artifact storage key "${key}".`);
}
