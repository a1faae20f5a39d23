import { join } from 'node:path'
import { storeConformance } from '@comp-manager/store-testkit'
import t from 'tap'
import { SqliteStore } from '../src/index.js'

// The shared Store suite, each subtest on a fresh database file in this test's fixture directory.
// A 16 MiB value limit (instead of 512 MiB) lets the suite run its at-limit and over-limit tests.
const dir = t.testdir()
let files = 0
storeConformance(
  t,
  ({ clock }) =>
    new SqliteStore({ path: join(dir, `store-${++files}.db`), clock, maxValueBytes: 16 * 1024 * 1024 }),
  { name: 'SqliteStore' },
)
