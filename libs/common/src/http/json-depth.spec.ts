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
});
