import { createHash } from 'node:crypto';
import type { ArtifactFiles } from '@app/inference';
import { SLICE_BYTES, yieldToLoop } from './yielding';

/**
 * The artifact's sha256, independent of how it was uploaded (loose files, .zip or .tar.gz):
 * the sha256 of a `sha256sum`-style listing of its files, sorted by path (bytewise):
 *
 *   "<sha256 of file>  <path>\n" for each file, concatenated
 *
 * Reproducible from an unpacked artifact with
 *   find . -type f -printf '%P\n' | LC_ALL=C sort | xargs sha256sum | sha256sum
 */
export function artifactDigest(files: ArtifactFiles): string {
  const listing = sortedPaths(files)
    .map((path) => `${sha256Hex(files.get(path)!)}  ${path}\n`)
    .join('');
  return sha256Hex(Buffer.from(listing, 'utf8'));
}

/**
 * artifactDigest without holding the event loop: each file is hashed in slices of SLICE_BYTES with a
 * turn of the loop between them (one update over 200 MB takes over 100 ms). Same value.
 */
export async function artifactDigestAsync(files: ArtifactFiles): Promise<string> {
  let listing = '';
  for (const path of sortedPaths(files)) {
    const data = files.get(path)!;
    const hash = createHash('sha256');
    for (let at = 0; at < data.length; at += SLICE_BYTES) {
      if (at > 0) await yieldToLoop();
      hash.update(data.subarray(at, at + SLICE_BYTES));
    }
    listing += `${hash.digest('hex')}  ${path}\n`;
  }
  return sha256Hex(Buffer.from(listing, 'utf8'));
}

export function artifactSize(files: ArtifactFiles): number {
  let total = 0;
  for (const data of files.values()) total += data.length;
  return total;
}

/** Paths in bytewise (C locale) order, the order `LC_ALL=C sort` gives. */
export function sortedPaths(files: ArtifactFiles): string[] {
  return [...files.keys()].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
