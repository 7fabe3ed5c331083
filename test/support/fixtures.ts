import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DEFAULT_FIXTURES_DIR, FixtureReference, generateFixtures, NamedFixtureReference } from '../../scripts/generate-fixtures';

/** Generated fixture models and datasets (scripts/generate-fixtures.ts): paths and readers for tests. */

export type FixtureModel = 'classifier' | 'multi-shard' | 'mlp-bench' | 'regressor' | 'graph' | NamedTensorFixture;

/** Fixtures with several inputs or outputs, or strings: their references name every tensor. */
export type NamedTensorFixture = 'two-input' | 'two-output' | 'string-graph';

export const FIXTURES_DIR = DEFAULT_FIXTURES_DIR;

/** Makes sure the fixtures exist and are current (a no-op when they are); safe across Jest workers. */
export function ensureFixtures(): Promise<void> {
  return generateFixtures();
}

export function fixturePath(...parts: string[]): string {
  return join(FIXTURES_DIR, ...parts);
}

/** A fixture model's files as the runtime takes them: relative path → bytes. */
export function readFixtureArtifact(name: FixtureModel): Map<string, Buffer> {
  return readArtifactDirectory(fixturePath(name));
}

export function readArtifactDirectory(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path).split('\\').join('/'), readFileSync(path));
    }
  };
  walk(dir);
  return files;
}

/** Inputs and tfjs' own outputs for a fixture model, recorded when it was generated. */
export function readFixtureReference(name: FixtureModel): FixtureReference {
  return JSON.parse(readFileSync(fixturePath('reference', `${name}.json`), 'utf8')) as FixtureReference;
}

/** Inputs and tfjs' own outputs, by tensor name, for a fixture with several inputs, outputs or strings. */
export function readNamedFixtureReference(name: NamedTensorFixture): NamedFixtureReference {
  return JSON.parse(readFileSync(fixturePath('reference', `${name}.json`), 'utf8')) as NamedFixtureReference;
}

/** A generated CSV as header + rows of raw strings. */
export function readFixtureCsv(name: 'blobs' | 'regression' | 'customers' | 'customers-holdout'): { header: string[]; rows: string[][] } {
  const [header, ...lines] = readFileSync(fixturePath('datasets', `${name}.csv`), 'utf8')
    .trim()
    .split('\n');
  return { header: header.split(','), rows: lines.map((l) => l.split(',')) };
}
