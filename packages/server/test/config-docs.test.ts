import { readFileSync } from 'node:fs'
import t from 'tap'
import { renderConfigTable, TABLE_END, TABLE_START, updateConfigDocs } from '../src/config/readme.js'
import { ServerEnvSchema, secretVariables } from '../src/index.js'

const readmePath = new URL('../README.md', import.meta.url)

t.test("the README's configuration table is the schema's", async (t) => {
  const readme = readFileSync(readmePath, 'utf8')
  t.equal(
    updateConfigDocs(readme),
    readme,
    'packages/server/README.md is up to date (regenerate: node scripts/generate-config-docs.mjs)',
  )
  for (const name of Object.keys(ServerEnvSchema.properties)) {
    t.match(readme, new RegExp(`^\\| \\[\`${name}\`\\]\\(#`, 'm'), `${name} has a row`)
  }
})

t.test('every variable needs a section of its own in the README', async (t) => {
  const readme = `### \`NODE_ENV\`\n${TABLE_START}\n${TABLE_END}\n`
  t.throws(() => renderConfigTable(readme), /the README has no "### `LOG_LEVEL`" section/)
  t.throws(() => updateConfigDocs('no markers'), /no configuration table markers/)
})

t.test('secrets are the variables marked secret in the schema', async (t) => {
  t.same([...secretVariables].sort(), [
    'API_KEYS',
    'JWT_SECRET',
    'METRICS_TOKEN',
    'MONGODB_URL',
    'REDIS_URL',
    'WEBHOOKS_SUBSCRIPTIONS',
  ])
})
