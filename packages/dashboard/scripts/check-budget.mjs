// Fails the build when the dashboard's initial JavaScript (the entry chunk and what it imports
// statically, per Vite's manifest) is over the budget, gzip-compressed. Lazy chunks (mathjs) do not count.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const BUDGET = 100 * 1024
const dist = new URL('../dist/app/', import.meta.url).pathname
const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8'))
const entry = Object.values(manifest).find((chunk) => chunk.isEntry)
if (entry === undefined) throw new Error('check-budget: no entry chunk in the Vite manifest')
const seen = new Set()
const visit = (chunk) => {
  if (seen.has(chunk.file)) return
  seen.add(chunk.file)
  for (const name of chunk.imports ?? []) visit(manifest[name])
}
visit(entry)
let total = 0
for (const file of seen) {
  const size = gzipSync(readFileSync(join(dist, file)), { level: 9 }).length
  total += size
  console.log(`  ${file}: ${(size / 1024).toFixed(1)} KB gzip`)
}
const lazy = Object.values(manifest).filter((c) => !seen.has(c.file) && c.file.endsWith('.js'))
const lazySize = lazy.reduce((n, c) => n + gzipSync(readFileSync(join(dist, c.file)), { level: 9 }).length, 0)
console.log(
  `check-budget: initial JS ${(total / 1024).toFixed(1)} KB gzip (budget ${BUDGET / 1024} KB); ` +
    `${lazy.length} lazy chunk(s), ${(lazySize / 1024).toFixed(1)} KB gzip`,
)
if (total > BUDGET) {
  console.error(`check-budget: over budget by ${((total - BUDGET) / 1024).toFixed(1)} KB`)
  process.exit(1)
}
