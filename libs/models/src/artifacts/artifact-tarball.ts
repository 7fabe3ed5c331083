import { Header, Pack, ReadEntry } from 'tar';
import type { ArtifactFiles } from '@app/inference';
import { sortedPaths } from './artifact-digest';

const EPOCH = new Date(0);

/**
 * The artifact as a .tar.gz, byte-for-byte reproducible: files in bytewise path order, mode 0644,
 * mtime 0, no owner names. Downloading the same version twice gives the same bytes.
 */
export function artifactTarball(files: ArtifactFiles): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const pack = new Pack({ gzip: { level: 9 }, portable: true, mtime: EPOCH });
    const chunks: Buffer[] = [];
    pack.on('data', (chunk: Buffer) => chunks.push(chunk));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
    for (const path of sortedPaths(files)) {
      const data = files.get(path)!;
      const entry = new ReadEntry(new Header({ path, mode: 0o644, size: data.length, type: 'File', mtime: EPOCH }));
      entry.end(data);
      pack.add(entry);
    }
    pack.end();
  });
}
