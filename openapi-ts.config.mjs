import { defineConfig } from '@hey-api/openapi-ts';

/** `npm run sdk`: the TypeScript client teams use, generated from the committed openapi.json. */
export default defineConfig({
  input: './openapi.json',
  output: { path: process.env.SDK_OUT ?? './libs/sdk/src/generated', format: false, lint: false, clean: true },
  plugins: ['@hey-api/client-fetch', '@hey-api/typescript', { name: '@hey-api/sdk', operations: { strategy: 'flat' } }],
  logs: { file: false },
});
