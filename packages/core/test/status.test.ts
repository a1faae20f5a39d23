import t from 'tap'
import {
  allowedTransitions,
  assertTransition,
  type ComputationStatus,
  canTransition,
  computationStatuses,
  isComputationStatus,
  isTerminalStatus,
} from '../src/domain/index.js'

/** The state machine of DESIGN.md, written out edge by edge. */
const edges = new Set([
  'queued→started',
  'queued→failed',
  'started→finished',
  'started→failed',
  'started→paused',
  'started→lost',
  'paused→started',
  'paused→failed',
  'paused→lost',
  // requeue: a job put back in the queue (a draining worker, a paused run resumable by any worker)
  'started→queued',
  'paused→queued',
])

const codeOf = (fn: () => void): unknown => {
  try {
    fn()
    return undefined
  } catch (err) {
    return (err as { code?: unknown }).code
  }
}

t.test('allowedTransitions is exactly the documented state machine', async (t) => {
  const actual = computationStatuses.flatMap((from) => allowedTransitions[from].map((to) => `${from}→${to}`))
  t.same(new Set(actual), edges)
})

t.test('assertTransition accepts every edge and refuses every other pair', async (t) => {
  for (const from of computationStatuses) {
    for (const to of computationStatuses) {
      const allowed = edges.has(`${from}→${to}`)
      t.equal(canTransition(from, to), allowed, `canTransition ${from} → ${to}`)
      t.equal(
        codeOf(() => assertTransition(from, to)),
        allowed ? undefined : 'CM_ERR_INVALID_TRANSITION',
        `assertTransition ${from} → ${to}`,
      )
    }
  }
})

t.test('an invalid transition names both ends and what was allowed', async (t) => {
  try {
    assertTransition('finished', 'started')
    t.fail('should throw')
  } catch (err) {
    t.hasStrict(err, {
      code: 'CM_ERR_INVALID_TRANSITION',
      statusCode: 409,
      details: { from: 'finished', to: 'started', allowed: [] },
    })
  }
})

t.test('an unknown status is an invalid argument, not an invalid transition', async (t) => {
  t.equal(
    codeOf(() => assertTransition('done' as ComputationStatus, 'started')),
    'CM_ERR_INVALID_ARGUMENT',
  )
  t.equal(
    codeOf(() => assertTransition('started', 'toString' as ComputationStatus)),
    'CM_ERR_INVALID_ARGUMENT',
  )
  t.equal(
    codeOf(() => assertTransition('__proto__' as ComputationStatus, 'started')),
    'CM_ERR_INVALID_ARGUMENT',
  )
})

t.test('terminal statuses have no way out; the others do', async (t) => {
  for (const status of computationStatuses) {
    t.equal(isTerminalStatus(status), allowedTransitions[status].length === 0, status)
  }
})

t.test('isComputationStatus', async (t) => {
  for (const status of computationStatuses) t.ok(isComputationStatus(status), status)
  for (const other of ['', 'Started', 'done', 'constructor', 1, null, undefined, ['queued']]) {
    t.notOk(isComputationStatus(other), JSON.stringify(other) ?? 'undefined')
  }
})
