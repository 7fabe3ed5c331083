/**
 * Import rules (npm run lint runs `depcruise`): which lib may import which, no cycles, and inside a
 * lib the layers point inward (http → services → domain and repositories). Imports of a package's
 * dist/ internals are refused by test/static/architecture.static-spec.ts (dependency-cruiser sees
 * resolved paths, not what the import says).
 */
const ALLOWED = {
  common: [],
  database: ['common'],
  observability: ['common', 'database'],
  audit: ['common', 'database'],
  auth: ['common', 'database', 'audit'],
  inference: ['common'],
  models: ['common', 'database', 'audit', 'inference'],
  predictions: ['common', 'database', 'audit', 'inference', 'models'],
  training: ['common', 'database', 'audit', 'inference', 'models', 'observability'],
  sdk: [],
  webhooks: ['common', 'database', 'audit', 'observability'],
  monitoring: ['common', 'database', 'audit', 'inference', 'models', 'predictions', 'training'],
};

const libDirection = Object.entries(ALLOWED).map(([lib, allowed]) => ({
  name: `lib-direction-${lib}`,
  comment: `libs/${lib} may import only ${allowed.length ? allowed.join(', ') : 'no other lib'} (and itself).`,
  severity: 'error',
  from: { path: `^libs/${lib}/`, pathNot: '\\.spec\\.ts$|/testing/' },
  to: { path: '^libs/([^/]+)/', pathNot: `^libs/(${[lib, ...allowed].join('|')})/` },
}));

module.exports = {
  forbidden: [
    ...libDirection,
    {
      name: 'libs-never-import-apps',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one: load order, DI and tests all get harder.',
      severity: 'error',
      from: { path: '^(apps|libs)/' },
      to: { circular: true },
    },
    {
      name: 'layers-services-not-http',
      comment: 'Services, domain and repositories never import the HTTP layer (controllers, interceptors, DTO parsing is http).',
      severity: 'error',
      from: { path: '^libs/([^/]+)/src/', pathNot: '/http/|\\.controller\\.ts$|\\.module\\.ts$|index\\.ts$|\\.spec\\.ts$|/testing/' },
      to: { path: ['^libs/$1/src/http/', '^libs/$1/src/.+\\.controller\\.ts$'] },
    },
    {
      name: 'layers-domain-is-inner',
      comment: 'Domain code (rules, errors, value types) depends on nothing of its own lib but other domain code.',
      severity: 'error',
      from: { path: '^libs/([^/]+)/src/domain/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^libs/$1/src/', pathNot: '^libs/$1/src/(domain|dto|entities)/' },
    },
    {
      name: 'no-orm-in-services',
      comment: 'Services hold rules and transactions over repositories: no DataSource, EntityManager or SQL (issue 12).',
      severity: 'error',
      from: { path: '^libs/(auth|training|models|predictions|audit)/src/.+(\\.service|\\.scheduler|-runner|-recovery|-recorder)\\.ts$' },
      to: { path: 'node_modules/(typeorm|@nestjs/typeorm)/' },
    },
    {
      name: 'redis-connections-in-one-place',
      comment:
        'Redis connections are made by RedisConnections (libs/common/src/redis): one set of options, retry, logging and shutdown. Elsewhere, type imports only.',
      severity: 'error',
      from: { path: '^(apps|libs)/', pathNot: ['^libs/common/src/redis/', '[.-]spec\\.ts$'] },
      to: { path: 'node_modules/ioredis/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|coverage)/|libs/sdk/src/generated/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      mainFields: ['main', 'types'],
    },
  },
};
