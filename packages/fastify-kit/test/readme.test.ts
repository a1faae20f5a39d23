import { readFileSync } from 'node:fs'
import { errorCodes } from '@comp-manager/core'
import t from 'tap'
import * as kit from '../src/index.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

t.test('README follows the house order', async (t) => {
  const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1])
  t.same(headings, ['Install', 'Usage', 'API', 'The auth contract', 'TypeScript', 'Errors', 'License'])
})

t.test('README lists every error code the kit raises, with its status', async (t) => {
  for (const code of ['CM_ERR_VALIDATION', 'CM_ERR_ROUTE_NOT_FOUND', 'CM_ERR_INVALID_ARGUMENT'] as const) {
    t.match(readme, new RegExp(`\\| \`${code}\` +\\| ${errorCodes[code].statusCode} +\\|`), code)
  }
})

t.test('README names every runtime export', async (t) => {
  for (const name of Object.keys(kit)) t.match(readme, `\`${name}`, name)
})
