import type { UploadDatasetData, UploadModelVersionData } from './generated/types.gen';

/** Bytes with a file name: a `File`, or a name and the bytes (or a Blob). */
export type FileInput = File | { name: string; data: Blob | ArrayBuffer | ArrayBufferView | string };

/**
 * Where a new version's files come from:
 * - `paths` (Node): files (model.json and its weight shards; a directory stands for the files in it)
 *   or a single .zip / .tar.gz / .tgz archive;
 * - `files`: model.json and its weights as Files or `{name, data}` (browsers, or bytes you already hold);
 * - `archive`: one .zip / .tar.gz archive, as a path (Node) or a File / `{name, data}`.
 */
export type VersionSource = { paths: string[] } | { files: FileInput[] } | { archive: string | FileInput };

/** A version's metadata, as JavaScript values: the SDK serializes them for the multipart upload. */
export interface VersionMetadata {
  description?: string;
  /** Class names in output order (classifiers). */
  labels?: string[];
  metrics?: Record<string, unknown>;
  params?: Record<string, unknown>;
}

export type UploadVersionBody = UploadModelVersionData['body'];
export type UploadDatasetBody = UploadDatasetData['body'];

const ARCHIVE = /\.(zip|tar\.gz|tgz)$/i;

/** The multipart body of `POST /v1/models/{name}/versions` for a source and its metadata. */
export async function versionUploadBody(source: VersionSource, metadata: VersionMetadata = {}): Promise<UploadVersionBody> {
  const body: UploadVersionBody = {};
  if ('paths' in source) {
    if (source.paths.length === 0) throw new TypeError('versions.upload: no paths given');
    if (source.paths.length === 1 && ARCHIVE.test(source.paths[0]) && !(await isDirectory(source.paths[0]))) {
      body.archive = await readFileAsFile(source.paths[0]);
    } else {
      body.files = await readPaths(source.paths);
    }
  } else if ('files' in source) {
    if (source.files.length === 0) throw new TypeError('versions.upload: no files given');
    body.files = source.files.map(toFile);
  } else {
    body.archive = typeof source.archive === 'string' ? await readFileAsFile(source.archive) : toFile(source.archive);
  }
  if (metadata.description !== undefined) body.description = metadata.description;
  if (metadata.labels !== undefined) body.labels = JSON.stringify(metadata.labels);
  if (metadata.metrics !== undefined) body.metrics = JSON.stringify(metadata.metrics);
  if (metadata.params !== undefined) body.params = JSON.stringify(metadata.params);
  return body;
}

/** The multipart body of `POST /v1/datasets`: a CSV (with a header) or JSON-lines file, by path (Node) or as a File. */
export async function datasetUploadBody(file: string | FileInput, name?: string): Promise<UploadDatasetBody> {
  const data = typeof file === 'string' ? await readFileAsFile(file) : toFile(file);
  return { file: data, name: name ?? data.name.replace(/\.(csv|jsonl|ndjson|json)$/i, '') };
}

export function toFile(input: FileInput): File {
  if (input instanceof File) return input;
  const data = input.data;
  const part =
    typeof data === 'string' || data instanceof Blob || data instanceof ArrayBuffer
      ? data
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new File([part as BlobPart], input.name);
}

async function readFileAsFile(path: string, name?: string): Promise<File> {
  const [{ readFile }, { basename }] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const bytes = await readFile(path);
  return new File([new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)], name ?? basename(path));
}

async function isDirectory(path: string): Promise<boolean> {
  const { stat } = await import('node:fs/promises');
  return (await stat(path)).isDirectory();
}

/** Files named by their path relative to the directory given (a plain file: its base name), sorted. */
async function readPaths(paths: string[]): Promise<File[]> {
  const [{ readdir }, { basename, join, relative, sep }] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const files: File[] = [];
  for (const path of paths) {
    if (!(await isDirectory(path))) {
      files.push(await readFileAsFile(path));
      continue;
    }
    const entries = await readdir(path, { recursive: true, withFileTypes: true });
    const found = entries
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath ?? e.path, e.name))
      .sort();
    if (found.length === 0) throw new TypeError(`versions.upload: ${path} holds no files`);
    for (const file of found) files.push(await readFileAsFile(file, relative(path, file).split(sep).join('/')));
  }
  const names = new Set<string>();
  for (const f of files) {
    if (names.has(f.name)) throw new TypeError(`versions.upload: two files are named ${basename(f.name)}`);
    names.add(f.name);
  }
  return files;
}
