import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { configVariables } from '@app/common';
import { API_CONFIG_SLICES } from '../../apps/api/src/api-config';
import { WORKER_CONFIG_SLICES } from '../../apps/worker/src/worker-config';

/**
 * The import rules live in .dependency-cruiser.cjs (lib direction, no cycles, layers inside a lib,
 * no ORM in services) and run in `npm run lint`; this suite runs them too, so `npm test` alone
 * enforces them, and adds what dependency-cruiser cannot see: what an import *says* (it resolves
 * paths, so a package's public entry under dist/ and a reach into dist/ look alike).
 */
const root = join(__dirname, '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'generated' ? [] : tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]);
}

/**
 * Who may read process.env in apps/ and libs/: the config composition (every service setting), the
 * integration-test database helper (TEST_DATABASE_URL), and the source of a thread started from
 * TypeScript sources (it sets the dev-only loader's tsconfig inside the new thread).
 */
const ENV_READERS = new Set([
  // The modelgate CLI is a program of its own: its settings come from flags, its environment and a profile.
  'libs/sdk/src/cli/main.ts',
  'libs/common/src/config/config-slice.ts',
  'libs/database/src/testing/integration-database.ts',
  'libs/inference/src/isolation/spawn-thread.ts',
]);

/** typeorm-pglite does not export the pool it builds on, which libs/database must extend. */
const DIST_ALLOWED = new Set(['typeorm-pglite/dist/pglite-pool']);

describe('architecture (static)', () => {
  it('dependency-cruiser finds no violation of the import rules', () => {
    const run = () =>
      execFileSync(
        process.execPath,
        [
          join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs'),
          'apps',
          'libs',
          'scripts',
          '--config',
          '.dependency-cruiser.cjs',
        ],
        {
          cwd: root,
          encoding: 'utf8',
          stdio: 'pipe',
        },
      );
    expect(run).not.toThrow();
  }, 120_000);

  it('every lib has its rule in .dependency-cruiser.cjs', () => {
    const config = readFileSync(join(root, '.dependency-cruiser.cjs'), 'utf8');
    const libs = readdirSync(join(root, 'libs')).filter((d) => statSync(join(root, 'libs', d)).isDirectory());
    expect(libs.filter((lib) => !new RegExp(`^\\s+${lib}: \\[`, 'm').test(config))).toEqual([]);
  });

  it("no source imports a package's dist/ or src/ internals", () => {
    const violations = ['apps', 'libs', 'scripts'].flatMap((dir) =>
      tsFiles(join(root, dir)).flatMap((file) =>
        importsOf(file)
          .filter((spec) => !spec.startsWith('.') && !spec.startsWith('@app/') && /\/(dist|src)\//.test(spec) && !DIST_ALLOWED.has(spec))
          .map((spec) => `${relative(root, file)} → ${spec}`),
      ),
    );
    expect(violations).toEqual([]);
  });

  it('no service code reads process.env: configuration arrives as injected slices', () => {
    const readers = ['apps', 'libs']
      .flatMap((dir) => tsFiles(join(root, dir)))
      .filter((file) => !/\.(int-)?spec\.ts$/.test(file) && /process\.env\b/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file));
    expect(readers.filter((file) => !ENV_READERS.has(file))).toEqual([]);
  });

  it('every variable a config slice reads is documented in the README, and the README lists no unknown one', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const known = new Set([...configVariables(API_CONFIG_SLICES), ...configVariables(WORKER_CONFIG_SLICES)]);
    expect([...known].filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
    // First cells of the README's variable tables (headed `| variable |`): `A` / `B`.
    const tables = readme.split(/\n\s*\n/).filter((block) => block.startsWith('| variable |'));
    const listed = tables.flatMap((t) =>
      [...t.matchAll(/^\| (`[A-Z][A-Z0-9_]+`(?: \/ `[A-Z][A-Z0-9_]+`)*) \|/gm)].flatMap((m) => m[1].match(/[A-Z][A-Z0-9_]+/g) ?? []),
    );
    expect(listed.length).toBeGreaterThan(50);
    expect(listed.filter((name) => !known.has(name))).toEqual([]);
  });
});
