import type { Client as FetchClient } from 'openapi-fetch'
import { type AuthApi, authApi } from './auth.js'
import { type CacheApi, cacheApi } from './cache.js'
import { type ComputationsApi, computationsApi } from './computations.js'
import { Core } from './core.js'
import { type EventsApi, eventsApi } from './fleet-events.js'
import { type HealthApi, healthApi } from './health.js'
import { type ClientOptions, resolveOptions } from './options.js'
import type { paths } from './schema.gen.js'
import { type WorkersApi, workersApi } from './workers.js'

/** The comp-manager client: `createClient({ baseUrl, token })`. */
export interface CompManagerClient extends HealthApi {
  readonly computations: ComputationsApi
  readonly cache: CacheApi
  /** The fleet and the worker protocol. */
  readonly workers: WorkersApi
  /** The fleet's event log: `subscribe(filter)`. */
  readonly events: EventsApi
  /** `auth.token()`: the client's API key exchanged for a token, which the client then uses. */
  readonly auth: AuthApi
  /**
   * The typed openapi-fetch client over the same transport (auth, retries, timeout): any route of the
   * generated `paths`, returning `{ data, error, response }` without throwing on error statuses.
   */
  readonly raw: FetchClient<paths>
}

/** Creates a client. Options are checked now: a bad or unknown one throws a `TypeError` naming it. */
export function createClient(options: ClientOptions): CompManagerClient {
  const core = new Core(resolveOptions(options))
  return {
    computations: computationsApi(core),
    cache: cacheApi(core),
    workers: workersApi(core),
    events: eventsApi(core),
    auth: authApi(core),
    raw: core.api,
    ...healthApi(core),
  }
}
