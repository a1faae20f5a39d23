import { readFileSync } from 'node:fs'
import { errorCodes } from '@comp-manager/core'
import t from 'tap'
import * as plugin from '../src/index.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

t.test('README follows the house order and gives each option its heading', async (t) => {
  const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1])
  t.same(headings, ['Install', 'Usage', 'Options', 'API', 'Decorators', 'TypeScript', 'Errors', 'License'])
  for (const option of [
    'namespace',
    'prefix',
    'codec',
    'leaseSecret',
    'maxWaitMs',
    'leaseMs',
    'maxResultBytes',
    'registryTtlMs',
    'recoverIntervalMs',
    'maxLostRetries',
    'backoff',
    'development',
    'decorator',
    'storeDecorator',
  ]) {
    t.match(readme, new RegExp(`^### \`${option}\`$`, 'm'), option)
  }
})

t.test('README error codes have the catalogue statuses', async (t) => {
  const rows = [...readme.matchAll(/^\| `(CM_ERR_[A-Z_]+)` +\| (\d{3}) +\|/gm)]
  t.ok(rows.length >= 8)
  for (const [, code, status] of rows) {
    t.equal(Number(status), errorCodes[code as keyof typeof errorCodes]?.statusCode, String(code))
  }
})

t.test('README names every runtime export', async (t) => {
  for (const name of Object.keys(plugin)) {
    if (name === 'default') continue
    t.match(readme, `\`${name}`, name)
  }
})
