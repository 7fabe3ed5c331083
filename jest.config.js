/**
 * Four tiers: unit (*.spec.ts beside the code, no server), integration (*.int-spec.ts beside the code,
 * real PGlite/Postgres/Redis), static (test/static/*.static-spec.ts) and e2e (test/*.e2e-spec.ts, the
 * real app booted).
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const moduleNameMapper = {
  '^@app/(common|database|observability|audit|auth|models|inference|predictions|training|sdk|webhooks|monitoring)(/.*)?$':
    '<rootDir>/libs/$1/src$2',
};

const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

/**
 * NestJS 12 and several of its dependencies ship only ES modules. Node 20 loads them through
 * require(esm), but Jest's module runtime cannot (before Node 24.9), so Jest compiles every
 * `"type": "module"` package to CommonJS (cached after the first run).
 */
function esmPackages() {
  const root = join(__dirname, 'node_modules');
  const names = readdirSync(root).flatMap((n) =>
    n.startsWith('@') ? readdirSync(join(root, n)).map((s) => `${n}/${s}`) : n.startsWith('.') ? [] : [n],
  );
  return names.filter((n) => {
    try {
      return JSON.parse(readFileSync(join(root, n, 'package.json'), 'utf8')).type === 'module';
    } catch {
      return false;
    }
  });
}
const ESM_PACKAGES = esmPackages().map((n) => n.replace(/[.]/g, '\\.'));

const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(ts|m?js)$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
};

module.exports = {
  // testTimeout is a global option: inside a project entry Jest ignores it (hooks then time out at 5 s).
  testTimeout: 60_000,
  // A handle a failed test leaves open (a server, a reconnecting client) must not hang the run, and
  // with it CI, after the results are in: Jest exits once every suite has reported.
  forceExit: true,
  projects: [
    // No server of any kind: pure logic, services over in-memory fakes.
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,scripts}/**/*.spec.ts'] },
    // Repositories and adapters against real servers: PGlite in-process, or the Postgres and Redis on 127.0.0.1
    // (probed once; a suite needing one that is not reachable is skipped, or fails under CI=true: test/support/servers.ts).
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs,scripts}/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/support/servers-global-setup.ts',
    },
    // Checks over the sources and shipped files (import rules, contract, SDK freshness, manifests): nothing runs.
    { ...shared, displayName: 'static', testMatch: ['<rootDir>/test/static/**/*.static-spec.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      testTimeout: 60_000,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
  ],
};
