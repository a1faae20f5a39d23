import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/**
 * The SPA is built from `src/app` into `dist/app`. `@comp-manager/client` is bundled from its sources
 * (not its `dist`): the client's tests run the example server, which mounts this dashboard, so a
 * package dependency on the client would make a cycle in the build graph.
 */
export default defineConfig({
  root: here('./src/app'),
  base: './',
  publicDir: false,
  resolve: {
    alias: { '@comp-manager/client': here('../client/src/index.ts') },
  },
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: here('./dist/app'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    manifest: true,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    // mathjs (lazy, for decoding fractions and matrices) is one large chunk by design.
    chunkSizeWarningLimit: 1000,
  },
})
