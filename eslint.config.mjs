import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'libs/*/dist/**',
      'node_modules/**',
      'coverage/**',
      'libs/sdk/src/generated/**',
      'test/fixtures/generated/**',
      '*.js',
      '*.cjs',
      '*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through AppConfig (libs/common/src/config).' },
      ],
    },
  },
  {
    // Plain Node scripts (no TypeScript): Node's globals.
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // The config layer, test harness and tooling are where the environment may be read.
    files: ['libs/common/src/config/**', 'test/**', 'scripts/**', '**/*.spec.ts', '**/*.int-spec.ts', 'libs/*/src/testing/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
