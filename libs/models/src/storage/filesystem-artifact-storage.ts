import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { ArtifactFiles } from '@app/inference';
import { ArtifactMissingError, ArtifactStorage, assertStorageKey } from './artifact-storage';

/**
 * Artifacts as directories under one root (DATA_DIR/artifacts by default). Files are written into
 * a staging directory and renamed into place: a rename within a filesystem is atomic, so a crash
 * mid-write leaves only a staging directory, never a partial artifact under its key.
 */
export class FilesystemArtifactStorage implements ArtifactStorage {
  readonly kind = 'filesystem' as const;
  private readonly staging: string;

  constructor(private readonly root: string) {
    this.staging = join(root, '.staging');
  }

  async put(key: string, files: ArtifactFiles): Promise<void> {
    const target = this.dir(key);
    const temp = join(this.staging, randomUUID());
    try {
      for (const [path, data] of files) {
        const file = join(temp, ...path.split('/'));
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, data);
      }
      await mkdir(dirname(target), { recursive: true });
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      throw error;
    }
  }

  async get(key: string): Promise<ArtifactFiles> {
    const dir = this.dir(key);
    let entries;
    try {
      entries = await readdir(dir, { recursive: true, withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ArtifactMissingError(key);
      throw error;
    }
    const files: ArtifactFiles = new Map();
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const full = join(entry.parentPath, entry.name);
      files.set(relative(dir, full).split(sep).join('/'), await readFile(full));
    }
    return files;
  }

  async delete(key: string): Promise<void> {
    await rm(this.dir(key), { recursive: true, force: true });
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.dir(key))).isDirectory();
    } catch {
      return false;
    }
  }

  private dir(key: string): string {
    assertStorageKey(key);
    return join(this.root, ...key.split('/'));
  }
}
