import { readFileSync } from 'node:fs'
import { errorCodes } from '@comp-manager/core'
import t from 'tap'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

t.test('README follows the house order', async (t) => {
  const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1])
  t.same(headings, [
    'Install',
    'Usage',
    'Options',
    'Health checks',
    'Closing',
    'Decorators',
    'TypeScript',
    'Route kit (for plugin authors)',
    'Errors',
    'License',
  ])
})

t.test('README documents every option under its own heading', async (t) => {
  for (const option of ['sqlite', 'mongo', 'store', 'healthCheck']) {
    t.match(readme, new RegExp(`^### \`${option}\`$`, 'm'), option)
  }
  for (const option of ['url', 'dbName', 'client', 'db', 'clientOptions', 'forceClose', 'reuse', 'init']) {
    t.match(readme, new RegExp(`^#### \`mongo\\.${option}\`$`, 'm'), `mongo.${option}`)
  }
})

t.test('README lists every error code the plugin raises, with its status', async (t) => {
  for (const code of [
    'CM_ERR_INVALID_ARGUMENT',
    'CM_ERR_STORE_UNAVAILABLE',
    'CM_ERR_SCHEMA_VERSION',
  ] as const) {
    t.match(readme, new RegExp(`\\| \`${code}\` +\\| ${errorCodes[code].statusCode} +\\|`), code)
  }
})
