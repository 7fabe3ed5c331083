import { describe, expect, it } from '@jest/globals';
import { formatOf, parseCsv, previewFile, previewText } from './preview';

describe('dataset preview (console)', () => {
  it('parses quoted CSV fields: commas, doubled quotes, line breaks, CRLF', () => {
    const text = 'name,note,n\r\n"a, b","say ""hi""",1\r\n"two\nlines",,2\r\nplain,x,3';
    expect(parseCsv(text).records).toEqual([
      ['name', 'note', 'n'],
      ['a, b', 'say "hi"', '1'],
      ['two\nlines', '', '2'],
      ['plain', 'x', '3'],
    ]);
  });

  it('shows the header and the first rows of a CSV, and says when there are more', () => {
    const lines = ['x,y,label', ...Array.from({ length: 25 }, (_, i) => `${i},${i * 2},c${i % 3}`)];
    const preview = previewText(lines.join('\n') + '\n', 'data.csv', { maxRows: 10 });
    expect(preview).toEqual({
      format: 'csv',
      columns: ['x', 'y', 'label'],
      rows: Array.from({ length: 10 }, (_, i) => [String(i), String(i * 2), `c${i % 3}`]),
      truncated: true,
    });
    const small = previewText('a,b\n1,2\n\n3\n', 'small.csv');
    expect(small).toEqual({
      format: 'csv',
      columns: ['a', 'b'],
      rows: [
        ['1', '2'],
        ['3', ''],
      ],
      truncated: false,
    });
  });

  it('leaves out the last, possibly cut-off record of a partial read', () => {
    const preview = previewText('a,b\n1,2\n3,4\n5,"unfinish', 'big.csv', { complete: false });
    expect(preview.rows).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(preview.truncated).toBe(true);
  });

  it('reads JSON lines: columns in first-seen order, values as text', () => {
    const text = '{"x": 1.5, "ok": true, "label": "a"}\n\n{"x": 2, "label": "b", "extra": null}\nnot json\n';
    expect(previewText(text, 'rows.jsonl')).toEqual({
      format: 'jsonl',
      columns: ['x', 'ok', 'label', 'extra'],
      rows: [
        ['1.5', 'true', 'a', ''],
        ['2', '', 'b', ''],
        ['', '', '', ''],
      ],
      truncated: false,
    });
  });

  it('tells the format by the file name, else by the content (as the server does)', () => {
    expect(formatOf('{"a":1}', 'x.csv')).toBe('csv');
    expect(formatOf('a,b', 'x.ndjson')).toBe('jsonl');
    expect(formatOf('\uFEFF  {"a":1}', 'upload')).toBe('jsonl');
    expect(formatOf('a,b', 'upload')).toBe('csv');
  });

  it('previews a File by reading only its beginning', async () => {
    const big = 'a,b\n' + '1,2\n'.repeat(40_000);
    const preview = await previewFile(new File([big], 'big.csv'), 5);
    expect(preview.rows).toHaveLength(5);
    expect(preview.truncated).toBe(true);
  });
});
