// Type tests: `tsc -p tsconfig.json` (the package's `typecheck`) checks this file; tap runs it too.
import type { Tracker } from '@comp-manager/tracker'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import t from 'tap'
import type { Static } from 'typebox'
import type {
  ComputationDto,
  ComputationDtoSchema,
  ComputationPage,
  FastifyTrackerOptions,
  fastifyTracker,
  ListQuery,
  UpdateBody,
} from '../src/index.js'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const assertType = <T extends true>(_: T): void => {}

assertType<Equal<FastifyInstance['tracker'], Tracker>>(true)
assertType<Equal<typeof fastifyTracker, FastifyPluginAsync<FastifyTrackerOptions>>>(true)
assertType<Equal<Static<typeof ComputationDtoSchema>, ComputationDto>>(true)
assertType<Equal<ComputationDto['createdAt'], string>>(true)
assertType<Equal<ComputationDto['startedAt'], string | null>>(true)
assertType<Equal<ComputationDto['runningTimeMs'], number | null>>(true)
assertType<Equal<ComputationDto['status'], 'queued' | 'started' | 'paused' | 'finished' | 'failed' | 'lost'>>(
  true,
)
assertType<Equal<ComputationPage['per_page'], number>>(true)
assertType<Equal<ListQuery['sort'], 'createdAt' | '-createdAt' | 'updatedAt' | '-updatedAt' | undefined>>(
  true,
)
assertType<Equal<UpdateBody['message'], string | null | undefined>>(true)

// Options: every key optional; `tracker` and `trackerOptions` typed.
const options: FastifyTrackerOptions[] = [
  {},
  { namespace: 'reports', prefix: '/api/v1/computations', sse: { pollMs: 100, heartbeatMs: 10_000 } },
  { trackerOptions: { leaseMs: 60_000, owner: 'api' }, development: true },
]
// @ts-expect-error store comes from fastify.compStore
const withStore: FastifyTrackerOptions = { trackerOptions: { store: {} } }
void withStore

t.pass(`types check (${options.length} option shapes)`)
