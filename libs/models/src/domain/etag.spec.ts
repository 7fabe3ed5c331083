import { etagOf, ifMatchSatisfied } from './etag';

describe('ETag / If-Match', () => {
  const tag = etagOf({ name: 'iris', version: 1 });

  it('is a quoted strong tag that follows the representation', () => {
    expect(tag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(etagOf({ name: 'iris', version: 1 })).toBe(tag);
    expect(etagOf({ name: 'iris', version: 2 })).not.toBe(tag);
  });

  it('matches absent, *, the exact tag or a list holding it', () => {
    expect(ifMatchSatisfied(undefined, tag)).toBe(true);
    expect(ifMatchSatisfied('*', tag)).toBe(true);
    expect(ifMatchSatisfied(tag, tag)).toBe(true);
    expect(ifMatchSatisfied(`"other", ${tag}`, tag)).toBe(true);
  });

  it('refuses another tag and weak tags (If-Match uses strong comparison)', () => {
    expect(ifMatchSatisfied('"other"', tag)).toBe(false);
    expect(ifMatchSatisfied(`W/${tag}`, tag)).toBe(false);
  });
});
