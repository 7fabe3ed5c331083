import type { Stage } from './lifecycle';

/**
 * TF Serving's `model_version_status` (GetModelStatusResponse as its REST API writes it), derived
 * from the lifecycle stage alone: versions load on demand, so any version serving would answer is
 * "loadable" and reads as AVAILABLE. Keeping it a function of the stage keeps the representation
 * (and so its ETag) deterministic: it changes exactly when a stage does.
 */
export const VERSION_STATES = ['AVAILABLE', 'LOADING', 'UNKNOWN', 'END'] as const;
export type VersionState = (typeof VERSION_STATES)[number];

export interface VersionStatus {
  version: string;
  state: VersionState;
  status: { error_code: 'OK'; error_message: '' };
}

/** What a model's status lists: the versions its consumers are served (drafts are private, retired ones gone). */
const LISTED_ON_MODEL: ReadonlySet<Stage> = new Set<Stage>(['staging', 'production', 'deprecated']);

/**
 * A retired version is unloaded for good: END, as TF Serving reports a version it has unloaded.
 * A draft is AVAILABLE too: ml-engineers and admins can send it requests (consumers get 403, an
 * authorization answer rather than a load state), and TF Serving has no "servable to some callers"
 * state; UNKNOWN would claim we do not know whether it loads, which is false.
 */
export function versionStateOf(stage: Stage): VersionState {
  return stage === 'retired' ? 'END' : 'AVAILABLE';
}

export function versionStatusOf(version: number, stage: Stage): VersionStatus {
  // TF Serving writes versions as strings (int64 in proto3 JSON).
  return { version: String(version), state: versionStateOf(stage), status: { error_code: 'OK', error_message: '' } };
}

/** The model's staging, production and deprecated versions, newest first (TF Serving's VersionMap order). */
export function modelVersionStatus(versions: ReadonlyArray<{ version: number; stage: Stage }>): VersionStatus[] {
  return versions
    .filter((v) => LISTED_ON_MODEL.has(v.stage))
    .sort((a, b) => b.version - a.version)
    .map((v) => versionStatusOf(v.version, v.stage));
}
