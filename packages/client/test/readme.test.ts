import { readFileSync } from 'node:fs'
import { errorCodes } from '@comp-manager/core'
import t from 'tap'
import { ClientOptionsSchema } from '../src/options.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const root = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')

t.test('README follows the house order and gives each option its heading', async (t) => {
  const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1])
  t.same(headings, ['Install', 'Usage', 'Options', 'API', 'TypeScript', 'Errors', 'License'])
  const known = Object.keys(ClientOptionsSchema.properties)
  t.ok(known.length >= 10)
  for (const option of known) {
    t.match(readme, new RegExp(`^### \`${option}\`$`, 'm'), option)
  }
})

t.test('README error codes have the catalogue statuses', async (t) => {
  const rows = [...readme.matchAll(/^\| `(CM_ERR_[A-Z_]+)` +\| (\d{3}) +\|/gm)]
  t.ok(rows.length >= 10)
  for (const [, code, status] of rows) {
    t.equal(Number(status), errorCodes[code as keyof typeof errorCodes]?.statusCode, String(code))
  }
})

t.test('the root README shows a client example', async (t) => {
  t.match(root, /import \{ createClient \} from '@comp-manager\/client'/)
})
