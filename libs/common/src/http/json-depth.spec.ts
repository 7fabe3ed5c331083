import { assertJsonDepth, jsonNestingDepth, JsonTooDeepError } from './json-depth';

describe('jsonNestingDepth', () => {
  it('counts the deepest nesting of arrays and objects, on strings and bytes alike', () => {
    for (const [text, depth] of [
      ['1', 0],
      ['"x"', 0],
      ['[]', 1],
      ['{"a":[1,{"b":[]}],"c":{}}', 4],
      ['[[1],[2],[[3]]]', 3],
    ] as const) {
      expect(jsonNestingDepth(text)).toBe(depth);
      expect(jsonNestingDepth(Buffer.from(text))).toBe(depth);
    }
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonNestingDepth('{"a":"[[[{{{","b":"\\"[[[","c":"\\\\"}')).toBe(1);
    expect(jsonNestingDepth(Buffer.from('["é[", "\\u005b"]'))).toBe(1);
  });

  it('stops counting past the limit: 10,000 levels cost no more than limit + 1 of them', () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    expect(jsonNestingDepth(deep)).toBe(10_000);
    expect(jsonNestingDepth(deep, 64)).toBe(65);
  });

  it('handles a million levels without recursion', () => {
    expect(jsonNestingDepth(Buffer.from('{"a":'.repeat(1_000_000)))).toBe(1_000_000);
  });

  it('assertJsonDepth throws a 400 JSON_TOO_DEEP domain error beyond the cap', () => {
    expect(() => assertJsonDepth('[[1]]', 2)).not.toThrow();
    expect(() => assertJsonDepth('[[[1]]]', 2)).toThrow(JsonTooDeepError);
    try {
      assertJsonDepth('[[[1]]]', 2);
    } catch (error) {
      expect(error).toMatchObject({ kind: 'bad-request', code: 'JSON_TOO_DEEP', extensions: { maxDepth: 2 } });
    }
  });

  it('assertJsonDepth decides on bytes, plain Uint8Arrays and strings alike, many shallow brackets included', () => {
    const shallow = JSON.stringify({ instances: Array.from({ length: 50 }, (_, i) => [i, { a: [i] }]) });
    const deep = '['.repeat(9) + ']'.repeat(9);
    for (const as of [(t: string) => t, (t: string) => Buffer.from(t), (t: string) => new Uint8Array(Buffer.from(t))]) {
      // More opening brackets than the cap, yet only four levels: the full scan decides.
      expect(() => assertJsonDepth(as(shallow), 8)).not.toThrow();
      expect(() => assertJsonDepth(as(deep), 8)).toThrow(JsonTooDeepError);
      expect(() => assertJsonDepth(as(deep), 9)).not.toThrow();
      // Brackets inside strings count towards the cheap bound only, never towards the depth.
      expect(() => assertJsonDepth(as(JSON.stringify({ s: '[[[[[[[[[[' })), 2)).not.toThrow();
    }
  });
});
