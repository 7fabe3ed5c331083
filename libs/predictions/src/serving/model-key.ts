import type { ServableVersion } from '@app/models';

/** Identity of a loaded model: a re-uploaded artifact can never be served from a stale entry. */
export function modelKey(version: Pick<ServableVersion, 'modelId' | 'version' | 'sha256'>): string {
  return `${version.modelId}:${version.version}:${version.sha256}`;
}
