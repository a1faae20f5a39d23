import t from 'tap'
import { createTracker, type TrackerEvents } from '../src/index.js'
import { codeOf, flakyStore, recordingLogger, settle, storeKinds } from './fixtures/helpers.js'

/**
 * The store fails just as a run ends (its final-status write rejects with CM_ERR_STORE_UNAVAILABLE):
 * the caller still gets its result, the status is written once the store is back, and when the
 * retries run out the failure is reported (error event + logger), never swallowed.
 */

const NS = 'outage'
const retry = { attempts: 4, baseDelayMs: 2, maxDelayMs: 10 }

for (const kind of storeKinds) {
  t.test(kind.name, async (t) => {
    t.test('a short outage: retried, result returned, final status written', async (t) => {
      const store = flakyStore(kind.open(t), 2)
      const logger = recordingLogger()
      const tracker = createTracker({ store, namespace: NS, leaseMs: 1000, logger, retry })
      const errors: TrackerEvents['error'][] = []
      tracker.on('error', (e) => errors.push(e))
      const fn = tracker.track('compute', async (n: number) => n + 1)
      t.equal(await fn(1), 2)
      t.equal(store.failedWrites(), 2)
      t.equal((await tracker.list()).data[0]?.status, 'finished', 'written after the retries')
      t.same(errors, [], 'no error event: nothing was lost')
      t.equal(logger.warnings.length, 2, 'each retry is logged')

      const failure = new Error('the function failed')
      const failing = tracker.track('fails', async () => {
        throw failure
      })
      store.fail(1)
      const result = await settle(failing())
      t.equal(result.ok ? undefined : result.error, failure, 'the same error')
      t.equal(store.failedWrites(), 3)
      t.equal((await tracker.list({ function: 'fails' })).data[0]?.status, 'failed', 'failed, after a retry')
    })

    t.test('a long outage: the result still reaches the caller; error event and log', async (t) => {
      const store = flakyStore(kind.open(t), 1000)
      const logger = recordingLogger()
      const tracker = createTracker({ store, namespace: NS, leaseMs: 1000, logger, retry })
      const errors: TrackerEvents['error'][] = []
      const finished: TrackerEvents['finished'][] = []
      tracker.on('error', (e) => errors.push(e))
      tracker.on('finished', (e) => finished.push(e))
      const fn = tracker.track('compute', async (n: number) => ({ value: n * 10 }))
      t.same(await fn(4), { value: 40 }, 'the caller gets its result')
      t.equal(store.failedWrites(), retry.attempts, 'every attempt was made')
      const record = (await tracker.list()).data[0]!
      t.equal(record.status, 'started', 'the final status could not be written')
      t.match(errors, [{ during: 'finish', id: record.id, error: { code: 'CM_ERR_STORE_UNAVAILABLE' } }])
      t.match(finished, [{ recorded: false, value: { value: 40 } }])
      t.match(logger.errors, [/could not record \(finish\)/])

      const failure = new TypeError('bad')
      const failing = tracker.track('fails', async () => {
        throw failure
      })
      const result = await settle(failing())
      t.equal(result.ok ? undefined : result.error, failure, 'a failure still reaches the caller unchanged')
      t.equal(errors.length, 2)
    })

    t.test('the store is down when a call starts: the call rejects with the store error', async (t) => {
      const store = kind.open(t)
      const tracker = createTracker({ store, namespace: NS, logger: recordingLogger() })
      let ran = false
      const fn = tracker.track('never', async () => {
        ran = true
      })
      await store.close()
      t.equal(await codeOf(fn()), 'CM_ERR_STORE_UNAVAILABLE')
      t.notOk(ran, 'not run unrecorded')
    })

    t.test('a result that cannot be stored: the run finishes, the error is reported', async (t) => {
      const store = kind.open(t)
      const tracker = createTracker({ store, namespace: NS, logger: recordingLogger() })
      const errors: TrackerEvents['error'][] = []
      tracker.on('error', (e) => errors.push(e))
      const fn = tracker.track('returns-a-function', async () => () => 1, { storeResult: true })
      t.type(await fn(), 'function')
      t.match(errors, [{ during: 'store-result', error: { code: 'CM_ERR_UNSUPPORTED_TYPE' } }])
      t.match((await tracker.list()).data[0], { status: 'finished', result: null })
    })
  })
}
