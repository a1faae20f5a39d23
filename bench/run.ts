// `pnpm bench`: runs every `*.bench.ts` in this folder, one after the other, each in its own process (a fresh
// heap and JIT per bench). hash and codec first, then the rest in name order. Exit code: non-zero when a
// bench failed (or, with BENCH_STRICT=1, missed a target).
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const first = ['hash.bench.ts', 'codec.bench.ts']
const only = process.argv.slice(2)
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort((a, b) => {
    const ia = first.indexOf(a)
    const ib = first.indexOf(b)
    return (ia === -1 ? first.length : ia) - (ib === -1 ? first.length : ib) || a.localeCompare(b)
  })

const failed: string[] = []
for (const file of files) {
  console.log(`\n━━ ${file} ━━`)
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, file)], {
    stdio: 'inherit',
    cwd: here,
  })
  if (result.status !== 0) failed.push(file)
}
console.log(
  `\n${files.length - failed.length} of ${files.length} benches ran cleanly${failed.length ? `; failed: ${failed.join(', ')}` : ''}`,
)
if (failed.length > 0) process.exitCode = 1
