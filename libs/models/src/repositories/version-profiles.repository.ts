import type { Transaction } from '@app/database';
import type { ProfileSource, VersionProfile } from '../domain/feature-profile';

/** A version's stored profile. `revision` grows with each replacement: drift counts are kept per revision. */
export interface StoredProfile {
  versionId: string;
  revision: number;
  source: ProfileSource;
  profile: VersionProfile;
  datasetId: string | null;
  createdBy: string;
  createdAt: Date;
}

export interface NewProfile {
  versionId: string;
  source: ProfileSource;
  profile: VersionProfile;
  datasetId: string | null;
  createdBy: string;
}

/** Reference distributions of versions (one per version, replaced as a whole). */
export abstract class VersionProfilesRepository {
  abstract find(versionId: string, tx?: Transaction): Promise<StoredProfile | null>;
  /** Creates or replaces the version's profile (its revision + 1). */
  abstract save(profile: NewProfile, tx: Transaction): Promise<StoredProfile>;
}
