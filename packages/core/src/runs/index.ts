/**
 * `@comp-manager/core/runs`: the run lifecycle and the machinery that executes a run, for the
 * libraries built on the Store ports (tracker, cache, worker, HTTP routes): every status change
 * (`createRun`, `pauseRun`, `cancelRun`, `endRun`…, one compare-and-set policy), `executeRun`
 * (lease, heartbeats, progress, the final status), `waitForRun`, and this process's runs (`LocalRuns`).
 */
export * from './cas.js'
export * from './emitter.js'
export * from './error-info.js'
export * from './execute.js'
export * from './identity.js'
export * from './lease.js'
export * from './lifecycle.js'
export * from './local-runs.js'
export * from './naming.js'
export * from './retry.js'
export * from './wait.js'
export * from './wake.js'
