import { ResponseCache } from './response-cache';

describe('ResponseCache', () => {
  it('keys by version and exact input rows', () => {
    const a = ResponseCache.key('m:1:abc', [[[1, 2, 3]]]);
    expect(ResponseCache.key('m:1:abc', [[[1, 2, 3]]])).toBe(a);
    expect(ResponseCache.key('m:2:def', [[[1, 2, 3]]])).not.toBe(a);
    expect(ResponseCache.key('m:1:abc', [[[1, 2, 3.0000001]]])).not.toBe(a);
    expect(ResponseCache.key('m:1:abc', [[[1, 2], [3]]])).not.toBe(ResponseCache.key('m:1:abc', [[[1], [2, 3]]]));
  });

  it('keys several inputs, strings and bytes without collisions between inputs or types', () => {
    const key = (inputs: Parameters<typeof ResponseCache.key>[1]) => ResponseCache.key('m:1:abc', inputs);
    expect(key([[[1]], [['a']]])).toBe(key([[[1]], [['a']]]));
    expect(key([[[1]], [['a']]])).not.toBe(key([[[1], ['a']]]));
    expect(key([[['ab', 'c']]])).not.toBe(key([[['a', 'bc']]]));
    expect(key([[['1']]])).not.toBe(key([[[1]]]));
    expect(key([[[Buffer.from('a')]]])).not.toBe(key([[['a']]]));
  });

  it('answers within the TTL, then forgets', () => {
    let now = 1_000;
    const cache = new ResponseCache(10, { now: () => now });
    cache.set('k', [[[0.5]]], 2);
    now += 1_900;
    expect(cache.get('k')).toEqual([[[0.5]]]);
    now += 600;
    expect(cache.get('k')).toBeUndefined();
  });

  it('invalidates by prefix', () => {
    const cache = new ResponseCache(10);
    cache.set('m:1:x:a', [[[1]]], 60);
    cache.set('m:2:y:b', [[[2]]], 60);
    cache.invalidatePrefix('m:1:');
    expect(cache.get('m:1:x:a')).toBeUndefined();
    expect(cache.get('m:2:y:b')).toEqual([[[2]]]);
  });
});
