import { readFileSync } from 'node:fs'
import t from 'tap'
import { errorCodes } from '../src/errors/index.js'

// The README's Errors table is the users' reference: every code must be listed with its HTTP status.
t.test('README lists every error code with its status', async (t) => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  for (const [code, spec] of Object.entries(errorCodes)) {
    t.match(readme, new RegExp(`\\| \`${code}\` \\| ${spec.statusCode} \\|`), code)
  }
})
