import type { ArtifactFiles } from '@app/inference';
import { ValidationFailedError } from '@app/common';
import { ArchiveLimits, readArchive } from '../artifacts/archive-reader';
import { safeArtifactPath } from '../artifacts/artifact-path';
import { ArtifactTooLargeError, TooManyFilesError, UnsafeArchiveError } from '../domain/registry-errors';
import type { RawVersionFields } from '../domain/upload-fields';

export interface UploadedPart {
  filename: string;
  data: Buffer;
}

/** A parsed multipart upload, transport-free: what the HTTP layer hands the registry. */
export interface ArtifactUpload {
  files: UploadedPart[];
  archives: UploadedPart[];
  fields: RawVersionFields;
}

export interface UploadLimits extends ArchiveLimits {
  maxFiles: number;
}

/** Turns the upload's `files` parts or its one `archive` into the artifact's files. */
export async function artifactFilesOf(upload: ArtifactUpload, limits: UploadLimits): Promise<ArtifactFiles> {
  if (upload.files.length && upload.archives.length) {
    throw new ValidationFailedError([{ field: 'archive', message: 'send either files or one archive, not both' }]);
  }
  if (upload.archives.length > 1) {
    throw new ValidationFailedError([{ field: 'archive', message: 'send exactly one archive' }]);
  }
  if (upload.archives.length === 1) return readArchive(upload.archives[0].data, limits);
  if (upload.files.length === 0) {
    throw new ValidationFailedError([{ field: 'files', message: 'files (model.json + weight files) or archive is required' }]);
  }
  if (upload.files.length > limits.maxFiles) {
    throw new TooManyFilesError(limits.maxFiles);
  }
  const files: ArtifactFiles = new Map();
  let total = 0;
  for (const part of upload.files) {
    const path = safeArtifactPath(part.filename);
    if (files.has(path)) throw new UnsafeArchiveError('duplicate-path', `The upload holds "${path}" more than once.`);
    total += part.data.length;
    if (total > limits.maxTotalBytes) throw new ArtifactTooLargeError(limits.maxTotalBytes);
    files.set(path, part.data);
  }
  return files;
}
