import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, ReadEntry } from 'tar';
import * as yauzl from 'yauzl';
import type { ArtifactFiles } from '@app/inference';
import { UnsafeArchiveError } from '../domain/registry-errors';
import { safeArtifactPath } from './artifact-path';
import { concatChunks, SLICE_BYTES, yieldToLoop } from './yielding';

export type ArchiveFormat = 'zip' | 'tar.gz';

export interface ArchiveLimits {
  /** Entries of any kind (files, directories) the archive may hold. */
  maxEntries: number;
  /** Bytes the files may add up to once decompressed: the zip-bomb bound. */
  maxTotalBytes: number;
}

const ZIP_MAGIC = [Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('PK\x05\x06', 'latin1')];
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** Recognises an archive by its first bytes, not by the name the client gave it. */
export function detectArchiveFormat(data: Buffer): ArchiveFormat | null {
  if (ZIP_MAGIC.some((m) => data.subarray(0, 4).equals(m))) return 'zip';
  if (data.subarray(0, 2).equals(GZIP_MAGIC)) return 'tar.gz';
  return null;
}

/**
 * Unpacks an uploaded .zip or .tar.gz into memory, refusing anything that could escape or exhaust
 * the server: absolute or `..` paths, links and device files, duplicate paths, more entries than
 * allowed, and more decompressed bytes than allowed (checked against both the declared sizes and
 * the bytes actually inflated). A single top-level directory holding model.json is stripped, so
 * zipping a model's folder works.
 */
export async function readArchive(data: Buffer, limits: ArchiveLimits): Promise<ArtifactFiles> {
  const format = detectArchiveFormat(data);
  if (!format) {
    throw new UnsafeArchiveError('unsupported-format', 'The archive is neither a .zip nor a .tar.gz (checked by its content).');
  }
  const files = format === 'zip' ? await readZip(data, limits) : await readTarGz(data, limits);
  if (files.size === 0) throw new UnsafeArchiveError('empty', 'The archive holds no files.');
  return stripSingleTopDirectory(files);
}

class Budget {
  private entries = 0;
  private bytes = 0;
  readonly files: ArtifactFiles = new Map();

  constructor(private readonly limits: ArchiveLimits) {}

  countEntry(): void {
    if (++this.entries > this.limits.maxEntries) throw tooManyEntries(this.limits);
  }

  reserve(bytes: number): void {
    this.bytes += bytes;
    if (this.bytes > this.limits.maxTotalBytes) throw tooLarge(this.limits);
  }

  add(path: string, data: Buffer): void {
    if (this.files.has(path)) throw new UnsafeArchiveError('duplicate-path', `The archive holds "${path}" more than once.`);
    this.files.set(path, data);
  }
}

const tooManyEntries = (l: ArchiveLimits) =>
  new UnsafeArchiveError('too-many-files', `The archive holds more than ${l.maxEntries} entries.`);
const tooLarge = (l: ArchiveLimits) =>
  new UnsafeArchiveError('too-large-decompressed', `The archive decompresses to more than ${l.maxTotalBytes} bytes.`);

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

async function readZip(data: Buffer, limits: ArchiveLimits): Promise<ArtifactFiles> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(data, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false });
  } catch (error) {
    throw zipError(error);
  }
  const budget = new Budget(limits);
  try {
    // The central directory's count is known before anything is inflated.
    if (zip.entryCount > limits.maxEntries) throw tooManyEntries(limits);
    for await (const entry of zip.eachEntry()) {
      budget.countEntry();
      const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
      const isDirectory = entry.fileName.endsWith('/') || mode === S_IFDIR;
      if (mode === S_IFLNK) throw new UnsafeArchiveError('link', `"${entry.fileName}" is a symbolic link; links are refused.`);
      if (mode !== 0 && mode !== S_IFREG && !isDirectory) {
        throw new UnsafeArchiveError('special-file', `"${entry.fileName}" is not a regular file.`);
      }
      if (isDirectory) {
        safeArtifactPath(entry.fileName.replace(/\/$/, ''));
        continue;
      }
      const path = safeArtifactPath(entry.fileName);
      if (entry.isEncrypted()) throw new UnsafeArchiveError('encrypted', `"${path}" is encrypted.`);
      // Declared size first (cheap), then the inflated bytes are counted as they arrive, since
      // the declared size is only a claim (yauzl also checks the two agree).
      budget.reserve(entry.uncompressedSize);
      const stream = await zip.openReadStreamPromise(entry);
      const chunks: Buffer[] = [];
      let read = 0;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        read += chunk.length;
        if (read > entry.uncompressedSize) throw tooLarge(limits);
        chunks.push(chunk);
      }
      budget.add(path, await concatChunks(chunks, read));
    }
    return budget.files;
  } catch (error) {
    throw zipError(error);
  } finally {
    zip.close();
  }
}

function zipError(error: unknown): Error {
  if (error instanceof UnsafeArchiveError) return error;
  const message = error instanceof Error ? error.message : String(error);
  // yauzl checks names itself before handing out an entry.
  if (/absolute path|invalid relative path|invalid characters in fileName/i.test(message)) {
    return new UnsafeArchiveError('unsafe-path', `The zip holds an unsafe path (${message}).`);
  }
  // An entry inflating past its declared size is how a zip bomb lies about itself.
  if (/too many bytes in the stream/i.test(message)) {
    return new UnsafeArchiveError('too-large-decompressed', `A zip entry inflates past its declared size (${message}).`);
  }
  return new UnsafeArchiveError('corrupt', `The zip cannot be read: ${message}.`);
}

/** Room for tar's own framing (a header per entry, padding, end blocks) on top of the file bytes. */
function tarOverhead(limits: ArchiveLimits): number {
  return 64 * 1024 + limits.maxEntries * 2048;
}

const TAR_FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const TAR_LINK_TYPES = new Set(['SymbolicLink', 'Link']);

/** Compressed bytes handed to gunzip at a time. */
const GZIP_INPUT_SLICE = 1024 * 1024;

function* slices(data: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

/**
 * Inflates and parses as a stream, a slice at a time: neither the inflated tarball nor a file in it
 * is ever joined in one synchronous step. The outcome is what inflating it all first and then
 * parsing gives: an inflate error or the size cap wins over a nested stream, which wins over
 * anything wrong inside the tar.
 */
async function readTarGz(data: Buffer, limits: ArchiveLimits): Promise<ArtifactFiles> {
  const cap = limits.maxTotalBytes + tarOverhead(limits);
  const budget = new Budget(limits);
  let failure: Error | undefined;
  const fail = (error: unknown) => {
    failure ??=
      error instanceof UnsafeArchiveError
        ? error
        : new UnsafeArchiveError('corrupt', `The tar cannot be read: ${(error as Error).message}.`);
  };
  // Files are joined (a slice at a time) in the order the tar lists them.
  let adding = Promise.resolve();
  const parser = new Parser({ strict: true });
  parser.on('entry', (entry: ReadEntry) => {
    if (failure) return void entry.resume();
    try {
      budget.countEntry();
      if (entry.type === 'Directory') {
        safeArtifactPath(entry.path.replace(/\/$/, ''));
        return void entry.resume();
      }
      if (TAR_LINK_TYPES.has(entry.type)) {
        throw new UnsafeArchiveError(
          'link',
          `"${entry.path}" is a ${entry.type === 'Link' ? 'hard' : 'symbolic'} link; links are refused.`,
        );
      }
      if (!TAR_FILE_TYPES.has(entry.type)) {
        throw new UnsafeArchiveError('special-file', `"${entry.path}" is a ${entry.type}, not a regular file.`);
      }
      const path = safeArtifactPath(entry.path);
      budget.reserve(entry.size);
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => {
        adding = adding.then(async () => {
          if (failure) return;
          try {
            budget.add(path, await concatChunks(chunks));
          } catch (error) {
            fail(error);
          }
        });
      });
    } catch (error) {
      fail(error);
      entry.resume();
    }
  });
  parser.on('error', fail);
  const parsed = new Promise<void>((resolve) => parser.on('end', resolve));

  // The first bytes of the tarball are held back until there are enough to recognise a nested stream.
  let head: Buffer[] | null = [];
  let nested = false;
  const checkHead = (bytes: Buffer) => {
    head = null;
    const start = bytes.subarray(0, 4);
    nested = start.subarray(0, 2).equals(GZIP_MAGIC) || start.equals(ZSTD_MAGIC);
    if (!nested && bytes.length) write(bytes);
  };
  const write = (chunk: Buffer) => {
    try {
      parser.write(chunk);
    } catch (error) {
      fail(error);
    }
  };
  // What stopped the inflating, as such: pipeline() may report it as an AbortError instead.
  let stopped: UnsafeArchiveError | undefined;
  try {
    let inflated = 0;
    let sinceYield = 0;
    await pipeline(
      Readable.from(slices(data, GZIP_INPUT_SLICE)),
      createGunzip({ chunkSize: 64 * 1024 }),
      async (tarball: AsyncIterable<Buffer>) => {
        for await (const chunk of tarball) {
          // The bomb guard: inflating stops at the cap.
          inflated += chunk.length;
          if (inflated > cap) throw (stopped = tooLarge(limits));
          if (head) {
            head.push(chunk);
            if (inflated >= 4) checkHead(Buffer.concat(head));
          } else if (!nested) {
            write(chunk);
          }
          sinceYield += chunk.length;
          if (sinceYield >= SLICE_BYTES) {
            sinceYield = 0;
            await yieldToLoop();
          }
        }
      },
    );
  } catch (error) {
    if (stopped) throw stopped;
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) throw tooLarge(limits);
    throw new UnsafeArchiveError('corrupt', `The .tar.gz cannot be decompressed: ${(error as Error).message}.`);
  }
  if (head) checkHead(Buffer.concat(head));
  if (nested) throw new UnsafeArchiveError('nested-compression', 'The .tar.gz holds another compressed stream instead of a tar.');
  parser.end();
  await parsed;
  await adding;
  if (failure) throw failure;
  return budget.files;
}

function stripSingleTopDirectory(files: ArtifactFiles): ArtifactFiles {
  if (files.has('model.json')) return files;
  const tops = new Set([...files.keys()].map((p) => p.split('/')[0]));
  if (tops.size !== 1) return files;
  const [top] = tops;
  if (!files.has(`${top}/model.json`)) return files;
  return new Map([...files].map(([p, d]) => [p.slice(top.length + 1), d]));
}
