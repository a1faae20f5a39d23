import { MemoryStore } from '@comp-manager/core'
import t from 'tap'
import { storeConformance } from '../src/index.js'

// Core's reference store against the suite every store runs (core cannot depend on the testkit: a
// cycle). An 8 MiB value limit keeps the at/over-limit tests quick; the 64 MiB default is checked
// in core's own tests.
const maxValueBytes = 8 * 1024 * 1024

storeConformance(t, ({ clock }) => new MemoryStore({ clock, maxValueBytes }), { name: 'MemoryStore' })
