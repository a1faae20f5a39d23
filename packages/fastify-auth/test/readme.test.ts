import { readFileSync } from 'node:fs'
import { errorCodes } from '@comp-manager/core'
import t from 'tap'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

t.test('README lists every error code this package raises, with its status', async (t) => {
  for (const code of ['CM_ERR_UNAUTHORIZED', 'CM_ERR_FORBIDDEN', 'CM_ERR_INVALID_ARGUMENT'] as const) {
    t.match(readme, new RegExp(`\\| \`${code}\` +\\| ${errorCodes[code].statusCode} +\\|`), code)
  }
})

t.test('README follows the house order and documents every option under its own heading', async (t) => {
  const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1])
  t.same(headings, [
    'Install',
    'Usage',
    'Options',
    'API',
    'Plugging in another auth',
    'Decorators',
    'TypeScript',
    'Errors',
    'License',
  ])
  for (const option of [
    'secret',
    'algorithms',
    'issuer',
    'audience',
    'expiresIn',
    'clockTolerance',
    'claims',
    'cookie',
    'apiKeys',
    'routes',
  ]) {
    t.match(readme, new RegExp(`^### \`${option}\`$`, 'm'), option)
  }
})
