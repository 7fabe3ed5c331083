import { gzipSync } from 'node:zlib';
import { gzipBomb, tarArchive, zipArchive } from '../testing/archive-builders';
import { UnsafeArchiveError } from '../domain/registry-errors';
import { detectArchiveFormat, readArchive } from './archive-reader';
import { artifactTarball } from './artifact-tarball';

const LIMITS = { maxEntries: 10, maxTotalBytes: 64 * 1024 };
const MODEL = Buffer.from('{"modelTopology":{},"weightsManifest":[]}');
const WEIGHTS = Buffer.alloc(4096, 3);

async function reason(archive: Buffer, limits = LIMITS): Promise<string> {
  try {
    await readArchive(archive, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(UnsafeArchiveError);
    return (error as UnsafeArchiveError).reason;
  }
  throw new Error('expected the archive to be refused');
}

describe('readArchive', () => {
  it('reads a zip (stored and deflated entries, directories skipped)', async () => {
    const zip = zipArchive([
      { path: 'model.json', data: MODEL },
      { path: 'weights/', mode: 0o040755 },
      { path: 'weights/group1-shard1of1.bin', data: WEIGHTS, deflate: true },
    ]);
    expect(detectArchiveFormat(zip)).toBe('zip');
    const files = await readArchive(zip, LIMITS);
    expect([...files.keys()].sort()).toEqual(['model.json', 'weights/group1-shard1of1.bin']);
    expect(files.get('weights/group1-shard1of1.bin')).toEqual(WEIGHTS);
  });

  it('reads a .tar.gz, including the one this service produces for downloads', async () => {
    const tgz = tarArchive([
      { path: 'model.json', data: MODEL },
      { path: 'group1-shard1of1.bin', data: WEIGHTS },
    ]);
    expect(detectArchiveFormat(tgz)).toBe('tar.gz');
    const files = await readArchive(tgz, LIMITS);
    expect(files.get('model.json')).toEqual(MODEL);
    const roundTrip = await readArchive(await artifactTarball(files), LIMITS);
    expect(roundTrip).toEqual(files);
  });

  it('strips a single top-level folder that holds model.json', async () => {
    const zip = zipArchive([
      { path: 'iris/model.json', data: MODEL },
      { path: 'iris/group1-shard1of1.bin', data: WEIGHTS },
    ]);
    expect([...(await readArchive(zip, LIMITS)).keys()].sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
  });

  it.each([
    ['zip with ../', () => zipArchive([{ path: '../evil.bin', data: WEIGHTS }])],
    ['zip with a nested ..', () => zipArchive([{ path: 'a/../../evil.bin', data: WEIGHTS }])],
    ['zip with an absolute path', () => zipArchive([{ path: '/etc/passwd', data: WEIGHTS }])],
    ['zip with a drive letter', () => zipArchive([{ path: 'C:/evil.bin', data: WEIGHTS }])],
    ['zip with a backslash path', () => zipArchive([{ path: '..\\evil.bin', data: WEIGHTS }])],
    ['tar with ../', () => tarArchive([{ path: '../evil.bin', data: WEIGHTS }])],
    ['tar with an absolute path', () => tarArchive([{ path: '/tmp/evil.bin', data: WEIGHTS }])],
  ])('refuses a %s as unsafe-path', async (_name, build) => {
    expect(await reason(build())).toBe('unsafe-path');
  });

  it.each([
    ['zip symlink', () => zipArchive([{ path: 'model.json', data: Buffer.from('/etc/passwd'), mode: 0o120777 }])],
    ['tar symlink', () => tarArchive([{ path: 'model.json', type: 'SymbolicLink', linkpath: '/etc/passwd' }])],
    ['tar hard link', () => tarArchive([{ path: 'model.json', type: 'Link', linkpath: 'other' }])],
  ])('refuses a %s as link', async (_name, build) => {
    expect(await reason(build())).toBe('link');
  });

  it('refuses device files and FIFOs', async () => {
    expect(await reason(tarArchive([{ path: 'pipe', type: 'FIFO' }]))).toBe('special-file');
    expect(await reason(zipArchive([{ path: 'dev', data: Buffer.alloc(0), mode: 0o020644 }]))).toBe('special-file');
  });

  it('refuses more entries than allowed', async () => {
    const many = Array.from({ length: 11 }, (_, i) => ({ path: `f${i}.bin`, data: Buffer.from([i]) }));
    expect(await reason(zipArchive(many))).toBe('too-many-files');
    expect(await reason(tarArchive(many))).toBe('too-many-files');
  });

  it('refuses a gzip bomb without inflating it past the limit', async () => {
    const bomb = gzipBomb(8 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(await reason(bomb)).toBe('too-large-decompressed');
  });

  it('refuses a zip whose files add up past the limit, by declared size and by inflated bytes', async () => {
    const big = Buffer.alloc(40 * 1024);
    expect(
      await reason(
        zipArchive([
          { path: 'a.bin', data: big, deflate: true },
          { path: 'b.bin', data: big, deflate: true },
        ]),
      ),
    ).toBe('too-large-decompressed');
    // An entry that claims to be small but inflates to more than it claims.
    const liar = zipArchive([{ path: 'model.json', data: Buffer.alloc(200 * 1024), deflate: true, declaredSize: 10 }]);
    expect(await reason(liar)).toBe('too-large-decompressed');
  });

  it('refuses a path that appears twice', async () => {
    expect(
      await reason(
        tarArchive([
          { path: 'model.json', data: MODEL },
          { path: 'model.json', data: MODEL },
        ]),
      ),
    ).toBe('duplicate-path');
  });

  it('refuses a gzip inside a gzip', async () => {
    expect(await reason(gzipSync(tarArchive([{ path: 'model.json', data: MODEL }])))).toBe('nested-compression');
  });

  it('refuses truncated and non-archive uploads', async () => {
    const zip = zipArchive([{ path: 'model.json', data: MODEL }]);
    expect(await reason(zip.subarray(0, zip.length - 10))).toBe('corrupt');
    const tgz = tarArchive([{ path: 'model.json', data: MODEL }]);
    expect(await reason(tgz.subarray(0, tgz.length - 8))).toBe('corrupt');
    expect(await reason(Buffer.from('definitely not an archive'))).toBe('unsupported-format');
    expect(await reason(tarArchive([]))).toBe('corrupt');
    expect(await reason(zipArchive([{ path: 'only-a-folder/' }]))).toBe('empty');
  });
});
