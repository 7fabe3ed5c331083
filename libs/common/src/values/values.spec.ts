import { isoOrNull, isUuid } from './values';

describe('values', () => {
  it('isUuid accepts UUIDs in either case and nothing else', () => {
    expect(isUuid('3f1c2b9a-0d4e-4c6b-9a1f-2b3c4d5e6f70')).toBe(true);
    expect(isUuid('3F1C2B9A-0D4E-4C6B-9A1F-2B3C4D5E6F70')).toBe(true);
    expect(isUuid('3f1c2b9a-0d4e-4c6b-9a1f-2b3c4d5e6f7')).toBe(false);
    expect(isUuid("3f1c2b9a-0d4e-4c6b-9a1f-2b3c4d5e6f70' OR 1=1")).toBe(false);
  });

  it('isoOrNull writes UTC ISO 8601 or null', () => {
    expect(isoOrNull(new Date(Date.UTC(2026, 10, 29, 12)))).toBe('2026-11-29T12:00:00.000Z');
    expect(isoOrNull(null)).toBeNull();
    expect(isoOrNull(undefined)).toBeNull();
  });
});
