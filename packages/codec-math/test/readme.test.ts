// Runs the README's Usage example as it is written, against the built package (`dist/`, which the
// `test` task builds first), the way a user would run it: `node example.mjs`.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8')
const usage = readme.slice(readme.indexOf('## Usage'))
const example = /```js\n([\s\S]*?)```/.exec(usage)?.[1]

t.test('the README example runs', async (t) => {
  t.ok(example, 'README has a js block under Usage')
  // Inside the package, so that `@comp-manager/codec-math` resolves to this package (self-reference).
  const dir = t.testdir({})
  const file = join(dir, 'example.mjs')
  writeFileSync(file, example!)
  const out = execFileSync(process.execPath, [file], { encoding: 'utf8' })
  t.equal(out.trim(), '{"__type__":"mathjs.Fraction","value":{"n":"-1","d":"2"}}')
})
