import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The web console: built into dist/console (CONSOLE_DIR) and served by the API at /console/. Every
 * file but index.html is content-hashed under assets/ (cached immutably by the API). No inline
 * script or style (the console's CSP forbids them): CSS is emitted as files, the module preload
 * polyfill is left out (every supported browser preloads modules).
 */
export default defineConfig({
  root: here('.'),
  base: '/console/',
  publicDir: false,
  resolve: {
    alias: {
      '@modelgate/sdk': here('../../libs/sdk/src/index.ts'),
    },
  },
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: here('../../dist/console'),
    emptyOutDir: true,
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
    rolldownOptions: {
      onLog(level, log, handler) {
        // React Server Components' "use client" markers mean nothing in a client-only bundle.
        if (log.code === 'MODULE_LEVEL_DIRECTIVE') return;
        handler(level, log);
      },
    },
  },
});
