import { MalformedDatasetError } from './dataset-format';
import { ALREADY_CHECKED, formatFromFileName, readDataset, ReadDatasetOptions } from './dataset-reader';

const utf8 = (s: string) => Buffer.from(s, 'utf8');

async function failure(input: string | Buffer, options: ReadDatasetOptions = {}): Promise<MalformedDatasetError> {
  try {
    await readDataset(typeof input === 'string' ? utf8(input) : input, options);
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedDatasetError);
    return error as MalformedDatasetError;
  }
  throw new Error('expected the dataset to be refused');
}

describe('readDataset', () => {
  it('reads a CSV: columns typed by their values, rows counted, values collected', async () => {
    const csv = 'a,b,c,d\n1,x,true,2.5e1\n-2.5, y ,FALSE,3\n\n.5,,true,4\n';
    const data = await readDataset(utf8(csv), { collect: true });
    expect(data).toEqual({
      format: 'csv',
      columns: [
        { name: 'a', type: 'number', distinct: 3, integer: false, missing: 0 },
        { name: 'b', type: 'string', distinct: 2, missing: 1 },
        { name: 'c', type: 'boolean', distinct: 2, missing: 0 },
        { name: 'd', type: 'number', distinct: 3, integer: true, missing: 0 },
      ],
      rows: 3,
      values: [
        [1, -2.5, 0.5],
        ['x', 'y', null],
        [true, false, true],
        [25, 3, 4],
      ],
    });
  });

  it('handles quoted fields, CRLF line ends and a byte order mark', async () => {
    const csv = '\ufeffname,"value, quoted"\r\n"hello, world",1\r\n"multi\nline",2\r\n';
    const data = await readDataset(utf8(csv), { collect: true });
    expect(data.columns.map(({ name, type }) => ({ name, type }))).toEqual([
      { name: 'name', type: 'string' },
      { name: 'value, quoted', type: 'number' },
    ]);
    expect(data.values).toEqual([
      ['hello, world', 'multi\nline'],
      [1, 2],
    ]);
  });

  it('reads JSON lines, sniffed from the content', async () => {
    const jsonl = '{"x": 1, "label": "a", "ok": true}\n\n{"label": "b", "x": 2.5, "ok": false}\n';
    const data = await readDataset(utf8(jsonl), { collect: true });
    expect(data.format).toBe('jsonl');
    expect(data.columns.map(({ name, type }) => ({ name, type }))).toEqual([
      { name: 'x', type: 'number' },
      { name: 'label', type: 'string' },
      { name: 'ok', type: 'boolean' },
    ]);
    expect(data.rows).toBe(2);
    expect(data.values).toEqual([
      [1, 2.5],
      ['a', 'b'],
      [true, false],
    ]);
  });

  it('names the line and column of a ragged row', async () => {
    const e = await failure('a,b,c\n1,2,3\n4,5\n');
    expect(e.reason).toBe('ragged-row');
    expect(e.location).toEqual({ line: 3, column: 'c' });
    expect(e.message).toMatch(/^line 3, column 'c': The row has 2 values but the header names 3 columns/);
  });

  it('names the line and column of a non-numeric value in a numeric column', async () => {
    const e = await failure('x,y\n1,2\n3,4\n5,abc\n');
    expect(e.reason).toBe('type-mismatch');
    expect(e.location).toEqual({ line: 4, column: 'y' });
    expect(e.message).toContain("'abc' is not a number");
  });

  it('keeps missing values in any column as null, counts them, and types a column by its non-empty cells', async () => {
    const data = await readDataset(utf8('x,y,c,b\n1,,red,\n,4,,true\n3,5.5,blue,false\n,,,\n'), { collect: true });
    expect(data.columns).toEqual([
      { name: 'x', type: 'number', distinct: 2, integer: true, missing: 2 },
      { name: 'y', type: 'number', distinct: 2, integer: false, missing: 2 },
      { name: 'c', type: 'string', distinct: 2, missing: 2 },
      { name: 'b', type: 'boolean', distinct: 2, missing: 2 },
    ]);
    expect(data.values).toEqual([
      [1, null, 3, null],
      [null, 4, 5.5, null],
      ['red', null, 'blue', null],
      [null, true, false, null],
    ]);
    // A non-empty value that does not fit is still a malformed file.
    expect(await failure('x,y\n1,\n3,4\n5,abc\n')).toMatchObject({ reason: 'type-mismatch', location: { line: 4, column: 'y' } });
  });

  it('counts distinct values and tells integer columns apart', async () => {
    const data = await readDataset(utf8('a,b,c\n1,1.5,x\n2,2,y\n1,3,x\n'));
    expect(data.columns).toEqual([
      { name: 'a', type: 'number', distinct: 2, integer: true, missing: 0 },
      { name: 'b', type: 'number', distinct: 3, integer: false, missing: 0 },
      { name: 'c', type: 'string', distinct: 2, missing: 0 },
    ]);
  });

  it('refuses an empty file, a header without rows, and a file without a header', async () => {
    expect((await failure('')).reason).toBe('empty-file');
    expect((await failure('  \n\n')).reason).toBe('empty-file');
    expect(await failure('a,b\n')).toMatchObject({ reason: 'no-rows', location: { line: 2 } });
    expect(await failure('1.5,2\n3,4\n')).toMatchObject({ reason: 'missing-header', location: { line: 1 } });
  });

  it('refuses duplicate and empty column names', async () => {
    expect(await failure('a,b,a\n1,2,3\n')).toMatchObject({ reason: 'bad-header', location: { line: 1, column: 'a' } });
    expect(await failure('a,,c\n1,2,3\n')).toMatchObject({ reason: 'bad-header', location: { line: 1, column: '#2' } });
  });

  it('names the line and column of bytes that are not UTF-8', async () => {
    const bytes = Buffer.concat([utf8('a,b\n1,x\n2,'), Buffer.from([0xc3, 0x28]), utf8('\n')]);
    expect(await failure(bytes)).toMatchObject({ reason: 'bad-encoding', location: { line: 3, column: 'b' } });
  });

  it('reports broken CSV quoting with its line', async () => {
    const e = await failure('a,b\n1,"open\n2,3\n');
    expect(e.reason).toBe('bad-csv');
    expect(e.location.line).toBeGreaterThanOrEqual(2);
  });

  it('names the line of a JSON line that does not parse, and of a missing or extra field', async () => {
    expect(await failure('{"a":1}\n{"a":\n')).toMatchObject({ reason: 'bad-json', location: { line: 2 } });
    expect(await failure('{"a":1}\n[1]\n')).toMatchObject({ reason: 'bad-json', location: { line: 2 } });
    expect(await failure('{"a":1,"b":2}\n{"a":3}\n')).toMatchObject({ reason: 'ragged-row', location: { line: 2, column: 'b' } });
    expect(await failure('{"a":1}\n{"a":3,"z":1}\n')).toMatchObject({ reason: 'ragged-row', location: { line: 2, column: 'z' } });
    expect(await failure('{"a":1}\n{"a":"1"}\n')).toMatchObject({ reason: 'type-mismatch', location: { line: 2, column: 'a' } });
    const nulls = await readDataset(utf8('{"a":1,"s":"x"}\n{"a":null,"s":null}\n'), { collect: true });
    expect(nulls.values).toEqual([
      [1, null],
      ['x', null],
    ]);
    expect(nulls.columns.map((c) => c.missing)).toEqual([1, 1]);
  });

  it('bounds the number of columns', async () => {
    await expect(readDataset(utf8('a,b,c\n1,2,3\n'), { maxColumns: 2 })).rejects.toMatchObject({ reason: 'too-many-columns' });
  });

  describe('caps applied while reading (bounded work per upload)', () => {
    it('stops a million-column header at column 1,001: the unclosed quote after it is never parsed', async () => {
      const header = Array.from({ length: 1_000_000 }, (_, i) => `c${i}`).join(',');
      const e = await failure(`${header},"never closed\n1\n`);
      expect(e).toMatchObject({ reason: 'too-many-columns', location: { line: 1 } });
      expect(e.message).toBe('line 1: The line has more than 1000 columns (DATASET_MAX_COLUMNS).');
      // Without the cap the parser reads the whole header, and then the broken quote is what it finds.
      const shorter = Array.from({ length: 20_000 }, (_, i) => `c${i}`).join(',');
      expect((await failure(`${shorter},"never closed\n1\n`, { limits: ALREADY_CHECKED })).reason).toBe('bad-csv');
      expect((await failure(`${shorter},"never closed\n1\n`)).reason).toBe('too-many-columns');
    });

    it('caps the columns of every line, and quoted commas are no columns', async () => {
      expect(await failure('a,b\n1,2\n1,2,3,4\n', { maxColumns: 3 })).toMatchObject({ reason: 'too-many-columns', location: { line: 3 } });
      const quoted = `a,"${','.repeat(5000)}"\n1,"x,y,z"\n`;
      expect((await readDataset(utf8(quoted), { maxColumns: 2 })).columns.map((c) => c.name)).toEqual(['a', ','.repeat(5000)]);
    });

    it('stops a 40 MB value at DATASET_MAX_FIELD_CHARS + 1 characters', async () => {
      const e = await failure(`a,b\n1,2\n3,"${'x'.repeat(40_000_000)}`);
      expect(e).toMatchObject({ reason: 'field-too-large', location: { line: 3 } });
      expect(e.message).toMatch(/longer than 65536 characters \(DATASET_MAX_FIELD_CHARS\)/);
      expect(await failure(`a,b\n1,${'y'.repeat(101)}\n`, { limits: { maxFieldChars: 100 } })).toMatchObject({
        reason: 'field-too-large',
        location: { line: 2 },
      });
      // Quoted line breaks and doubled quotes are characters of the value.
      expect(await failure(`a,b\n1,"${'\n""'.repeat(60)}"\n`, { limits: { maxFieldChars: 100 } })).toMatchObject({
        reason: 'field-too-large',
      });
      expect((await readDataset(utf8(`a,b\n1,"${'y'.repeat(100)}"\n`), { limits: { maxFieldChars: 100 } })).rows).toBe(1);
    });

    it('caps a record (a CSV record or a JSON line) at DATASET_MAX_RECORD_CHARS', async () => {
      const limits = { maxRecordChars: 100, maxFieldChars: 60 };
      expect(await failure(`a,b\n${'x'.repeat(60)},${'y'.repeat(60)}\n`, { limits })).toMatchObject({
        reason: 'record-too-large',
        location: { line: 2 },
      });
      expect(await failure(`{"a":1}\n{"a":${'1'.repeat(120)}}\n`, { limits })).toMatchObject({
        reason: 'record-too-large',
        location: { line: 2 },
      });
    });

    it('reports an error in the records before the one that breaks a cap first', async () => {
      expect(await failure(`a,b\n1,2\nx,3\n4,${'z'.repeat(200)}\n`, { limits: { maxFieldChars: 100 } })).toMatchObject({
        reason: 'type-mismatch',
        location: { line: 3, column: 'a' },
      });
    });

    it('caps the values of JSON lines', async () => {
      expect(await failure(`{"a":1,"b":"x"}\n{"a":2,"b":"${'y'.repeat(101)}"}\n`, { limits: { maxFieldChars: 100 } })).toMatchObject({
        reason: 'field-too-large',
        location: { line: 2, column: 'b' },
      });
      const wide = `{${Array.from({ length: 1001 }, (_, i) => `"c${i}":1`).join(',')}}\n`;
      expect(await failure(wide)).toMatchObject({ reason: 'too-many-columns', location: { line: 1 } });
    });

    it('reads records across chunk boundaries exactly as without the caps', async () => {
      const rows = Array.from({ length: 6000 }, (_, i) => `${i},"a, ""quoted""\nvalue ${i}",${i % 3 === 0}`);
      const csv = utf8(`n,text,flag\n${rows.join('\r\n')}\n`);
      expect(csv.length).toBeGreaterThan(3 * 64 * 1024);
      const capped = await readDataset(csv, { collect: true, limits: { maxFieldChars: 40, maxColumns: 3 } });
      expect(capped).toEqual(await readDataset(csv, { collect: true, limits: ALREADY_CHECKED }));
      expect(capped.rows).toBe(6000);
      expect(capped.values![1][5999]).toBe('a, "quoted"\nvalue 5999');
    });
  });

  describe('reserved column names', () => {
    it.each(['__proto__', 'constructor', 'prototype'])('refuses %s in a CSV header, naming it', async (name) => {
      const e = await failure(`x,${name}\n1,2\n`);
      expect(e).toMatchObject({ reason: 'reserved-column-name', location: { line: 1, column: name } });
      expect(e.message).toContain(`'${name}' cannot name a column`);
    });

    it('refuses them as JSON lines fields, and accepts a stored dataset that has one (checked when it was uploaded)', async () => {
      expect(await failure('{"x":1,"__proto__":2}\n')).toMatchObject({ reason: 'reserved-column-name', location: { column: '__proto__' } });
      expect((await readDataset(utf8('x,constructor\n1,2\n'), { limits: ALREADY_CHECKED })).columns.map((c) => c.name)).toEqual([
        'x',
        'constructor',
      ]);
    });
  });

  it('maps file names to formats', () => {
    expect(formatFromFileName('iris.CSV')).toBe('csv');
    expect(formatFromFileName('x.jsonl')).toBe('jsonl');
    expect(formatFromFileName('x.ndjson')).toBe('jsonl');
    expect(formatFromFileName('data.txt')).toBeUndefined();
    expect(formatFromFileName(undefined)).toBeUndefined();
  });
});
