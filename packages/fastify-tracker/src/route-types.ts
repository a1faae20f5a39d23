import type { Codec } from '@comp-manager/core'
import type { LeaseTokens, RouteDocs, TypeBoxApp } from '@comp-manager/fastify-kit'
import type { Tracker } from '@comp-manager/tracker'
import type { FastifyInstance } from 'fastify'
import type { ResolvedSseOptions } from './options.js'
import type { RecordContext } from './records.js'
import type { StreamRegistry } from './stream-registry.js'
import type { SubmitFunctions } from './submit.js'

export interface RoutesOptions {
  tracker: Tracker
  codec: Codec
  namespace: string
  sse: ResolvedSseOptions
  development: boolean
  streams: StreamRegistry
  /** The function names `POST /computations` accepts (`undefined`: not checked). */
  functions: SubmitFunctions
  /** The lease of a run reported as `started`. */
  leaseMs: number
  leaseTokens: LeaseTokens
}

/** The routes' context, typed by the TypeBox type provider. */
export type App = TypeBoxApp

/** What every route declaration needs. */
export interface Routes extends Pick<RouteDocs, 'tagged' | 'authErrors'> {
  app: App
  /** The encapsulated context (for `protect`). */
  instance: FastifyInstance
  ctx: RecordContext
  opts: RoutesOptions
}
