import { readdirSync, readFileSync, statSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { join } from 'node:path';
import { ALL_ERROR_CODES, type CatalogueStatus, ERROR_CODES } from '../../libs/common/src/errors/error-codes';

const root = join(__dirname, '..', '..');
const PAGE = join(root, 'docs', 'errors.md');
const START =
  '<!-- error-codes:start (generated from libs/common/src/errors/error-codes.ts; test/static/error-catalogue.static-spec.ts checks it) -->';
const END = '<!-- error-codes:end -->';

const order = (status: CatalogueStatus) => (status === '4xx' ? 499 : status);
const heading = (status: CatalogueStatus) => (status === '4xx' ? 'Any other 4xx' : `${status} ${STATUS_CODES[status]}`);

/** The catalogue as docs/errors.md shows it: one table per usual status, codes in catalogue order. */
export function renderErrorCatalogue(): string {
  const groups = new Map<CatalogueStatus, string[]>();
  for (const code of ALL_ERROR_CODES) {
    const info = ERROR_CODES[code] as (typeof ERROR_CODES)[keyof typeof ERROR_CODES] & { extensions?: readonly string[] };
    const first = info.status[0];
    const members = (info.extensions ?? []).map((e) => `\`${e}\``).join(', ') || '—';
    const row = `| \`${code}\` | ${info.status.join(', ')} | ${info.meaning} | ${members} |`;
    groups.set(first, [...(groups.get(first) ?? []), row]);
  }
  const sections = [...groups.entries()]
    .sort(([a], [b]) => order(a) - order(b))
    .map(([status, rows]) =>
      [`### ${heading(status)}`, '', '| code | status | meaning | members besides the standard ones |', '|---|---|---|---|', ...rows].join(
        '\n',
      ),
    );
  return [START, '', sections.join('\n\n'), '', END].join('\n');
}

describe('error catalogue ↔ docs/errors.md', () => {
  it('docs/errors.md lists every code of the catalogue, with its statuses, meaning and members, and no other', () => {
    const page = readFileSync(PAGE, 'utf8');
    const start = page.indexOf(START);
    const end = page.indexOf(END);
    expect({ start: start >= 0, end: end > start }).toEqual({ start: true, end: true });
    const shown = page.slice(start, end + END.length);
    // On failure: paste the expected block (between the markers) into docs/errors.md.
    expect(shown).toEqual(renderErrorCatalogue());
  });

  it('the page names no code outside the catalogue', () => {
    const page = readFileSync(PAGE, 'utf8');
    const named = new Set([...page.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g)].map((m) => m[1]));
    // Configuration variables and headers are named too; codes are what the catalogue holds.
    const unknown = [...named].filter(
      (name) => !(name in ERROR_CODES) && !/^(MAX|JSON|SSE|BODY|INSPECTION|METRICS|DATABASE|WEBHOOK)_/.test(name),
    );
    expect(unknown).toEqual([]);
  });

  it('lists no dead code: each one is written by some source (the compiler proves the converse for DomainError)', () => {
    const sources: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) {
          if (!['generated', 'openapi', 'testing', 'node_modules'].includes(name)) walk(path);
        } else if (/\.ts$/.test(name) && !/\.(spec|int-spec|dto|controller)\.ts$/.test(name) && name !== 'error-codes.ts') {
          sources.push(readFileSync(path, 'utf8'));
        }
      }
    };
    walk(join(root, 'apps'));
    walk(join(root, 'libs'));
    const all = sources.join('\n');
    expect(ALL_ERROR_CODES.filter((code) => !all.includes(`'${code}'`))).toEqual([]);
  });

  it('every code is UPPER_SNAKE_CASE, with a status and a meaning', () => {
    for (const code of ALL_ERROR_CODES) {
      expect({ code, ok: /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/.test(code) }).toEqual({ code, ok: true });
      expect(ERROR_CODES[code].status.length).toBeGreaterThan(0);
      expect(ERROR_CODES[code].meaning.length).toBeGreaterThan(10);
    }
  });
});
