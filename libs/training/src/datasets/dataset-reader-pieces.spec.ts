import { MalformedDatasetError } from './dataset-format';
import { ALREADY_CHECKED, readDataset, ReadDatasetOptions } from './dataset-reader';

/**
 * The reader decodes a file a megabyte at a time and scans the pieces as one text: what straddles a
 * piece boundary (a multi-byte character, a `""` escape, a record, a JSON line) reads as in one string.
 */
const MB = 1024 * 1024;

// Each case reads megabytes of CSV with its values kept: seconds alone, but minutes when CI runs this
// beside the e2e suites on two cores (the default 60 s was exceeded once there). Not a speed check.
jest.setTimeout(300_000);
const utf8 = (s: string) => Buffer.from(s, 'utf8');

async function failure(input: Buffer, options: ReadDatasetOptions = {}): Promise<MalformedDatasetError> {
  try {
    await readDataset(input, options);
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedDatasetError);
    return error as MalformedDatasetError;
  }
  throw new Error('expected the dataset to be refused');
}

/** A CSV whose `cut`th byte starts `at`: rows of filler before it, so `at` straddles the first megabyte boundary. */
function csvAround(at: string, cut = MB - 1): Buffer {
  const head = 'a,b\n';
  const row = '1,filler\n';
  let body = head + row.repeat(Math.floor((cut - head.length - 3) / row.length));
  body += '2,' + 'z'.repeat(cut - Buffer.byteLength(body) - 2);
  return utf8(`${body}${at}\n3,end\n`);
}

describe('readDataset across decoded pieces', () => {
  it('reads a multi-byte character split by the piece boundary', async () => {
    const data = await readDataset(csvAround('€é😀'), { collect: true });
    expect(data.rows).toBeGreaterThan(100_000);
    expect(data.values![1].some((v) => /^z*€é😀$/.test(String(v)))).toBe(true);
  });

  it('reads a "" escape whose quotes fall on either side of the boundary', async () => {
    // The `""` pair falls at (MB-1, MB), (MB, MB+1); the closing quote at MB-1.
    for (const cut of [MB - 6, MB - 5, MB - 9]) {
      const data = await readDataset(csvAround('\n4,"x""y"', cut), { collect: true });
      expect(data.values![1]).toContain('x"y');
    }
  });

  it('refuses a field over the cap that spans pieces, naming its line, without reading past it', async () => {
    const input = utf8(`a,b\n1,x\n2,${'y'.repeat(3 * MB)}\n3,z\n`);
    expect(await failure(input, { limits: { maxFieldChars: 2 * MB, maxRecordChars: 4 * MB } })).toMatchObject({
      reason: 'field-too-large',
      location: { line: 3 },
    });
  });

  it('refuses a JSON line over the cap that spans pieces, and reads one under it', async () => {
    const long = `{"a":"${'y'.repeat(2 * MB)}"}`;
    expect(await failure(utf8(`{"a":"x"}\n${long}\n`))).toMatchObject({ reason: 'record-too-large', location: { line: 2 } });
    const data = await readDataset(utf8(`{"a":"x"}\n${long}\n`), { limits: ALREADY_CHECKED });
    expect(data.rows).toBe(2);
  });

  it('refuses an invalid byte after the first megabyte (the whole file is checked first)', async () => {
    const input = Buffer.concat([utf8(`a,b\n1,${'x'.repeat(70_000)}\n`), utf8('2,'.repeat(MB)), Buffer.from([0xff]), utf8('\n')]);
    expect(await failure(input)).toMatchObject({ reason: 'bad-encoding' });
  });

  it('checks a 40 MB value in pieces, giving the event loop turns in between (bench:hostile measures the delay)', async () => {
    const input = utf8(`a,b\n1,${'x'.repeat(40 * MB)}\n`);
    let turns = 0;
    let reading = true;
    const tick = () => {
      if (!reading) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const error = await failure(input);
    reading = false;
    expect(error).toMatchObject({ reason: 'field-too-large', location: { line: 2 } });
    // Decoded 1 MB per turn: one whole-text decode would give the loop no turn at all.
    expect(turns).toBeGreaterThanOrEqual(40);
  });
});
