// The default entry works in browsers: no Node-only import in dist/, and esbuild bundles it for the
// browser platform (which fails on any `node:` or Node built-in import, here or in a dependency).
import { readdirSync, readFileSync } from 'node:fs'
import { build } from 'esbuild'
import t from 'tap'

const dist = new URL('../dist/', import.meta.url)

t.test('no module of dist/ imports a Node built-in', async (t) => {
  const files = readdirSync(dist).filter((f) => f.endsWith('.js'))
  t.ok(files.length > 0, 'dist is built')
  for (const file of files) {
    const text = readFileSync(new URL(file, dist), 'utf8')
    t.notMatch(text, /\bfrom\s+['"]node:|\bimport\(\s*['"]node:|\brequire\(/, `${file} has no node: import`)
  }
})

t.test('esbuild bundles the entry for the browser', async (t) => {
  const result = await build({
    entryPoints: [new URL('index.js', dist).pathname],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    minify: true,
    logLevel: 'silent',
    metafile: true,
  })
  t.same(result.errors, [])
  const bytes = result.outputFiles[0]!.contents.byteLength
  const inputs = Object.keys(result.metafile.inputs)
  t.notOk(
    inputs.some((i) => i.startsWith('node:')),
    'no node: module in the bundle',
  )
  t.ok(
    inputs.some((i) => i.includes('openapi-fetch')),
    'openapi-fetch is in',
  )
  // About 208 kB: TypeBox, which checks createClient's options (through @comp-manager/core/options), is
  // about 150 kB of it; the client without it was 51 kB (budget 120 kB).
  t.ok(bytes < 230_000, `the minified bundle is small (${bytes} bytes)`)
})
