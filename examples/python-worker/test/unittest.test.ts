// Runs the Python unittest suites (codec, every hash vector of packages/core/test-vectors.json, worker
// protocol pieces) and reports their outcome as one tap assertion per suite module.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { exampleDir, pythonVersion, SKIP_NO_PYTHON } from './fixtures/python.js'

const version = pythonVersion()
if (version === undefined) {
  t.comment(SKIP_NO_PYTHON)
  t.pass(SKIP_NO_PYTHON)
} else {
  t.comment(version)
  const modules = readdirSync(join(exampleDir, 'tests'))
    .filter((f) => /^test_.*\.py$/.test(f))
    .map((f) => `tests.${f.slice(0, -3)}`)
  t.ok(modules.includes('tests.test_vectors'), 'the hash-vector suite is among the modules')
  for (const module of modules) {
    t.test(module, async (t) => {
      const run = spawnSync('python3', ['-W', 'error', '-m', 'unittest', '-v', module], {
        cwd: exampleDir,
        encoding: 'utf8',
        timeout: 120_000,
      })
      const ran = /Ran (\d+) tests?/.exec(run.stderr)
      if (run.status !== 0) t.comment(run.stderr.slice(-8000))
      t.equal(run.status, 0, `${module} passes`)
      t.ok(ran !== null && Number(ran[1]) > 0, `${module} ran ${ran?.[1]} tests`)
      t.match(run.stderr, /\nOK\b/, 'unittest reports OK')
    })
  }
}
