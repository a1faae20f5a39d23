import { readFileSync } from 'node:fs'
import t from 'tap'
import { EXIT } from '../src/errors.js'
import { commands } from '../src/main.js'
import { globalOptions } from '../src/spec.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

t.test('README follows the house order', async (t) => {
  const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1])
  t.same(headings, ['Install', 'Usage', 'Options', 'API', 'Errors', 'License'])
})

t.test('README documents every command, global option and exit code', async (t) => {
  for (const spec of commands) {
    const args = spec.args.map((a) => ` <${a.name}>`).join('')
    t.match(readme, `| \`${spec.name}${args}\``, spec.name)
  }
  for (const name of Object.keys(globalOptions)) t.match(readme, `--${name}`, name)
  for (const code of Object.values(EXIT))
    t.match(readme, new RegExp(`^\\| ${code} +\\|`, 'm'), `exit ${code}`)
})
