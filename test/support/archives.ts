/** Upload archives for e2e suites, hostile ones included (the builders live with the registry). */
export * from '../../libs/models/src/testing/archive-builders';
