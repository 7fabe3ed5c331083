import { createHash } from 'node:crypto';
import { artifactDigest, artifactDigestAsync, artifactSize, sortedPaths } from './artifact-digest';
import { safeArtifactPath } from './artifact-path';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

describe('artifactDigest', () => {
  const model = Buffer.from('{"format":"layers-model"}');
  const shard = Buffer.from([1, 2, 3, 4]);

  it('is the sha256 of a sha256sum listing of the files in bytewise path order', () => {
    const files = new Map([
      ['model.json', model],
      ['Weights.bin', shard],
    ]);
    // 'W' (0x57) sorts before 'm' (0x6d) bytewise, as LC_ALL=C sort does.
    const listing = `${sha(shard)}  Weights.bin\n${sha(model)}  model.json\n`;
    expect(artifactDigest(files)).toBe(sha(listing));
    expect(sortedPaths(files)).toEqual(['Weights.bin', 'model.json']);
  });

  it('does not depend on the order files were added, and changes with any byte', () => {
    const a = new Map([
      ['model.json', model],
      ['group1-shard1of1.bin', shard],
    ]);
    const b = new Map([...a].reverse());
    expect(artifactDigest(a)).toBe(artifactDigest(b));
    const changed = new Map(a).set('group1-shard1of1.bin', Buffer.from([1, 2, 3, 5]));
    expect(artifactDigest(changed)).not.toBe(artifactDigest(a));
    expect(artifactSize(a)).toBe(model.length + shard.length);
  });

  it('has an async form that hashes in slices and gives the same value', async () => {
    // 20 MB + 3 bytes: three slices, the last one short.
    const big = Buffer.alloc(20 * 1024 * 1024 + 3);
    for (let i = 0; i < big.length; i += 4093) big[i] = i % 251;
    const files = new Map([
      ['model.json', model],
      ['weights/group1-shard1of1.bin', big],
      ['empty.bin', Buffer.alloc(0)],
    ]);
    expect(await artifactDigestAsync(files)).toBe(artifactDigest(files));
    expect(await artifactDigestAsync(new Map([['model.json', model]]))).toBe(artifactDigest(new Map([['model.json', model]])));
  });
});

describe('safeArtifactPath', () => {
  it.each(['model.json', 'group1-shard1of2.bin', 'weights/w 1.bin', './model.json'])('accepts %s', (p) => {
    expect(safeArtifactPath(p)).toBe(p.replace(/^\.\//, ''));
  });

  it.each(['', '/abs', '../up', 'a/../../b', 'a//b', 'a/./b', 'C:/x', 'a\\b', 'ctl\u0001', 'x'.repeat(256)])('refuses %j', (p) => {
    expect(() => safeArtifactPath(p)).toThrow(expect.objectContaining({ code: 'UNSAFE_ARCHIVE', reason: 'unsafe-path' }));
  });
});
