import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { breakingChanges, OpenApiDoc } from '../../scripts/contract/breaking-changes';

const root = join(__dirname, '..', '..');
const snapshotPath = join(root, 'openapi', 'v1.snapshot.json');

/**
 * openapi/v1.snapshot.json is the released v1 contract. Additions are fine; anything that would break
 * a client generated from it fails here. To change a v1 operation incompatibly, add a /v2 route and
 * deprecate the /v1 one instead (README, "Evolving the API").
 */
describe('v1 contract guard', () => {
  it('has a released v1 snapshot', () => {
    expect(existsSync(snapshotPath)).toBe(true);
  });

  it('openapi.json makes no breaking change to the released v1 operations', () => {
    const released = JSON.parse(readFileSync(snapshotPath, 'utf8')) as OpenApiDoc;
    const current = JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8')) as OpenApiDoc;
    expect(breakingChanges(released, current, (p) => p.startsWith('/v1/'))).toEqual([]);
  });
});
