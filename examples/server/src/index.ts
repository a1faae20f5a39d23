import dashboard from '@comp-manager/dashboard'
import { type BuildAppOptions, buildApp, loadConfig, type ServerConfig } from '@comp-manager/server'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import { demoRoutes, demoTag } from './demo.js'
import { type DemoJobsOptions, demoJobs } from './jobs.js'

export { factorize, invertHilbert, isPrime, MAX_FACTOR_INPUT, MAX_MATRIX_SIZE, math, ratio } from './demo.js'
export { DEMO_JOBS, type DemoJobsOptions } from './jobs.js'

export interface BuildServerOptions {
  /** The configuration; default `loadConfig(env)`. */
  config?: ServerConfig
  /** Environment variables to read the configuration from; default `process.env`. */
  env?: Record<string, string | undefined>
  /** Fastify's logger option; default: off (the CLI entry turns it on). */
  logger?: FastifyServerOptions['logger']
  /** Run the demo jobs' in-process worker (default true; `DEMO_WORKER=off` for `dist/main.js`). */
  worker?: boolean
}

/** `DEMO_WORKER`: `off`, `false`, `no` or `0` (any case) leaves the queued demo jobs to other workers. */
export function demoWorkerEnabled(env: Record<string, string | undefined>): boolean {
  return !/^(off|false|no|0)$/i.test((env.DEMO_WORKER ?? '').trim())
}

/**
 * The example's environment: the web dashboard is on unless `DASHBOARD_ENABLED` says otherwise (the
 * server alone defaults to off).
 */
export function exampleEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return { ...env, DASHBOARD_ENABLED: env.DASHBOARD_ENABLED ?? 'true' }
}

/**
 * What the example adds to `buildApp`: the demo routes under `/api/v1/demo`, a worker running the demo
 * functions as queued jobs (`POST /api/v1/demo/jobs`), and their OpenAPI tag.
 */
export function exampleAppOptions(
  jobs: DemoJobsOptions = {},
): Pick<BuildAppOptions, 'routes' | 'tags' | 'dashboard'> {
  return {
    dashboard,
    routes: async (api) => {
      await demoRoutes(api)
      await demoJobs(api, jobs)
    },
    tags: [demoTag],
  }
}

/**
 * The example server: `@comp-manager/server`'s `buildApp` (store, auth, tracker, cache, docs, rate
 * limits, health) on the embedded SQLite file under `COMP_MANAGER_DATA_DIR` (default `./data`), plus two
 * demo functions that are tracked and cached, triggered by `POST /api/v1/demo/factor` and
 * `POST /api/v1/demo/matrix`. Returns a ready instance that does not listen yet.
 */
export async function buildServer(options: BuildServerOptions = {}): Promise<FastifyInstance> {
  const config = options.config ?? loadConfig(exampleEnv(options.env ?? process.env))
  const jobs = { worker: options.worker ?? true }
  return buildApp(config, { ...exampleAppOptions(jobs), logger: options.logger ?? false })
}
