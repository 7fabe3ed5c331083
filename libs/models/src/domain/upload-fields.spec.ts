import { JsonTooDeepError, ValidationFailedError } from '@app/common';
import { checkLabelsAgainstOutputs, labelsFromArtifact, parseVersionFields } from './upload-fields';

function fieldErrors(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationFailedError);
    return (error as ValidationFailedError).errors?.map((e) => e.field);
  }
  throw new Error('expected a validation error');
}

describe('upload fields', () => {
  it('refuses JSON nested deeper than the cap before parsing it (400 JSON_TOO_DEEP naming the field)', () => {
    const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    expect(() => parseVersionFields({ metrics: deep(10_000) })).toThrow(JsonTooDeepError);
    expect(() => parseVersionFields({ params: deep(5) }, 4)).toThrow(
      expect.objectContaining({ code: 'JSON_TOO_DEEP', extensions: { maxDepth: 4, field: 'params' } }),
    );
    expect(parseVersionFields({ params: deep(4) }, 4).params).toEqual(JSON.parse(deep(4)));
  });

  it('parses every optional field', () => {
    expect(parseVersionFields({ description: ' v2 ', labels: '["a","b"]', metrics: '{"accuracy":0.9}', params: '{"epochs":5}' })).toEqual({
      description: 'v2',
      labels: ['a', 'b'],
      metrics: { accuracy: 0.9 },
      params: { epochs: 5 },
    });
    expect(parseVersionFields({})).toEqual({ description: null, labels: null, metrics: {}, params: {} });
  });

  it('takes labels as a JSON array or as comma-separated class names (as a form field is typed)', () => {
    expect(parseVersionFields({ labels: 'red,green,blue' }).labels).toEqual(['red', 'green', 'blue']);
    expect(parseVersionFields({ labels: ' red , green,blue ' }).labels).toEqual(['red', 'green', 'blue']);
    expect(parseVersionFields({ labels: 'setosa' }).labels).toEqual(['setosa']);
    expect(parseVersionFields({ labels: '["red, dark","green"]' }).labels).toEqual(['red, dark', 'green']);
    // Looks like JSON: parsed as JSON, so a broken array is an error, not a class named "[a".
    expect(fieldErrors(() => parseVersionFields({ labels: '["a", "b"' }))).toEqual(['labels']);
    expect(fieldErrors(() => parseVersionFields({ labels: 'a,,b' }))).toEqual(['labels']);
    expect(fieldErrors(() => parseVersionFields({ labels: 'a,b,' }))).toEqual(['labels']);
    expect(fieldErrors(() => parseVersionFields({ labels: `a,${'x'.repeat(201)}` }))).toEqual(['labels']);
  });

  it('treats a field sent empty (or blank) as absent', () => {
    expect(parseVersionFields({ description: '', labels: '', metrics: '', params: '' })).toEqual({
      description: null,
      labels: null,
      metrics: {},
      params: {},
    });
    expect(parseVersionFields({ description: '  ', labels: ' \n', metrics: '\t', params: ' ' })).toEqual({
      description: null,
      labels: null,
      metrics: {},
      params: {},
    });
  });

  it('names each bad field, all at once', () => {
    expect(fieldErrors(() => parseVersionFields({ labels: '{"a":1}', metrics: '[1]', params: 'not json' }))).toEqual([
      'labels',
      'metrics',
      'params',
    ]);
    expect(fieldErrors(() => parseVersionFields({ labels: '[1,2]' }))).toEqual(['labels']);
    expect(fieldErrors(() => parseVersionFields({ labels: '[]' }))).toEqual(['labels']);
    expect(fieldErrors(() => parseVersionFields({ description: 'x'.repeat(2001) }))).toEqual(['description']);
  });

  it('reads labels.json from the artifact and refuses a broken one with 422', () => {
    expect(labelsFromArtifact(new Map([['labels.json', Buffer.from('["x","y"]')]]))).toEqual(['x', 'y']);
    expect(labelsFromArtifact(new Map())).toBeNull();
    expect(() => labelsFromArtifact(new Map([['labels.json', Buffer.from('{')]]))).toThrow(
      expect.objectContaining({ kind: 'unprocessable' }),
    );
  });

  it('checks the label count against a single output width', () => {
    const outputs = [{ name: 'probs', datatype: 'FP32' as const, shape: [-1, 3] }];
    expect(() => checkLabelsAgainstOutputs(['a', 'b', 'c'], outputs)).not.toThrow();
    expect(fieldErrors(() => checkLabelsAgainstOutputs(['a', 'b'], outputs))).toEqual(['labels']);
  });
});
