import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { retryAfterHeaderSeconds } from './errors';
import { SDK_VERSION } from './version';

const sdkRoot = join(__dirname, '..');
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

describe('@modelgate/sdk package', () => {
  it('is versioned with the API: its version is the root package.json version', () => {
    const root = readJson(join(sdkRoot, '..', '..', 'package.json'));
    const sdk = readJson(join(sdkRoot, 'package.json'));
    expect({ sdk: sdk.version, constant: SDK_VERSION }).toEqual({ sdk: root.version, constant: root.version });
  });

  it('declares what npm needs: ESM and CommonJS entries with types, the modelgate bin, Node 20, the CLI dependencies only', () => {
    const sdk = readJson(join(sdkRoot, 'package.json'));
    expect(sdk).toMatchObject({
      name: '@modelgate/sdk',
      type: 'module',
      engines: { node: '>=20' },
      bin: { modelgate: './dist/esm/cli/main.js' },
      exports: {
        '.': {
          import: { types: './dist/esm/index.d.ts', default: './dist/esm/index.js' },
          require: { types: './dist/cjs/index.d.ts', default: './dist/cjs/index.js' },
        },
      },
    });
    expect(Object.keys(sdk.dependencies as object).sort()).toEqual(['cli-progress', 'cli-table3', 'commander']);
    expect(sdk.files).toEqual(expect.arrayContaining(['dist/esm', 'dist/cjs']));
  });
});

describe('retryAfterHeaderSeconds', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    ['5', 5],
    ['0', 0],
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
  ])('%s → %s', (header, seconds) => {
    expect(retryAfterHeaderSeconds(header, now)).toBe(seconds);
  });
});
