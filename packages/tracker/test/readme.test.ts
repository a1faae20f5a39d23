import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { trackerErrorStatus, trackerErrors } from '../src/index.js'

/** The README is the users' reference: its Usage example runs, its Errors table is complete. */

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

t.test('the Errors table lists every code the tracker raises, with its HTTP status', async (t) => {
  for (const code of Object.keys(trackerErrors) as (keyof typeof trackerErrors)[]) {
    t.match(readme, new RegExp(`\\| \`${code}\` +\\| ${trackerErrorStatus[code]} +\\|`), code)
  }
})

t.test('the Usage example runs on SQLite and prints what it says', async (t) => {
  const usage = readme.slice(readme.indexOf('## Usage'))
  const code = /```ts\n([\s\S]*?)```/.exec(usage)?.[1]
  t.ok(code, 'found the example')
  // The example imports '@comp-manager/tracker' by name: a file inside this package resolves it to dist/
  // (package self-reference), and writes ./data/comp-manager.db relative to the working directory.
  const dir = t.testdir()
  const file = join(dir, 'usage-example.ts')
  writeFileSync(file, code!)
  const cwd = process.cwd()
  const logged: unknown[][] = []
  const log = console.log
  process.chdir(dir)
  console.log = (...args: unknown[]) => logged.push(args)
  try {
    await import(file)
  } finally {
    console.log = log
    process.chdir(cwd)
  }
  t.same(logged[0], [1_980_000n, 1_980_000n])
  t.match(logged[1], ['finished', 1, process.pid, { fraction: 1, note: '2 of 2 customers' }])
})
