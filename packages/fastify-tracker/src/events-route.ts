import {
  type ComputationStatus,
  type EventLogStore,
  type EventType,
  eventTypes,
  isComputationStatus,
  isEventType,
} from '@comp-manager/core'
import type { NormalizedEventQuery } from '@comp-manager/core/store-kit'
import {
  errorResponses,
  NamespaceQueryProperty,
  protect,
  resolveNamespaces,
  routeDocs,
  useRouteKit,
  withDetails,
} from '@comp-manager/fastify-kit'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { type Static, Type } from 'typebox'
import { ComputationNotFoundError, ComputationValidationError } from './errors.js'
import type { EventHub } from './event-hub.js'
import { LogStream } from './log-stream.js'
import type { ResolvedSseOptions } from './options.js'
import { clientKey, type StreamRegistry } from './stream-registry.js'

export interface EventsRouteOptions {
  hub: EventHub
  defaultNamespace: string
  sse: ResolvedSseOptions
  streams: StreamRegistry
  development: boolean
}

const SEQUENCE = '^[0-9]{1,16}$'

export const EventsQuerySchema = Type.Object(
  {
    namespace: NamespaceQueryProperty,
    type: Type.Optional(
      Type.String({
        maxLength: 1024,
        description: `Comma-separated event types: ${eventTypes.join(', ')}`,
        examples: ['finished,failed'],
      }),
    ),
    function: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 512,
        description: 'Only events of this function',
        examples: ['fib'],
      }),
    ),
    status: Type.Optional(
      Type.String({
        maxLength: 128,
        description: 'Comma-separated statuses after the change',
        examples: ['failed'],
      }),
    ),
    computation: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description: 'Only events of this computation id',
        examples: ['01a200cc-9fef-7000-86b9-17c8a4690c68'],
      }),
    ),
    after: Type.Optional(
      Type.String({
        pattern: SEQUENCE,
        description: 'Resume after this event id (for clients that cannot send `Last-Event-ID`, which wins)',
        examples: ['1042'],
      }),
    ),
  },
  { additionalProperties: false },
)
type EventsQuery = Static<typeof EventsQuerySchema>

function listOf<T extends string>(
  value: string | undefined,
  field: string,
  is: (v: unknown) => v is T,
  known: readonly string[],
): T[] | null {
  if (value === undefined) return null
  const items = [...new Set(value.split(',').map((v) => v.trim()))]
  for (const item of items) {
    if (!is(item)) {
      throw withDetails(
        new ComputationValidationError(`${field} ${JSON.stringify(item)} is not one of ${known.join(', ')}`),
        {
          field,
          value: item,
        },
      )
    }
  }
  return items as T[]
}

/** The resume point: `Last-Event-ID` (or `after`), which must be an id this store has handed out. */
async function resumePoint(
  request: FastifyRequest,
  query: EventsQuery,
  log: EventLogStore,
): Promise<number | null> {
  const header = request.headers['last-event-id']
  const given = typeof header === 'string' ? header.trim() : query.after
  if (given === undefined || given === '') return null
  const field = typeof header === 'string' ? 'Last-Event-ID' : 'after'
  const sequence = new RegExp(SEQUENCE).test(given) ? Number(given) : Number.NaN
  if (!Number.isSafeInteger(sequence) || sequence > (await log.lastSequence())) {
    throw withDetails(
      new ComputationValidationError(
        `${field} ${JSON.stringify(given.slice(0, 32))} is not an event id of this server`,
      ),
      { field },
    )
  }
  return sequence
}

/** `GET /events`: the event log of the caller's namespaces as server-sent events. */
export async function eventsRoutes(instance: FastifyInstance, opts: EventsRouteOptions): Promise<void> {
  useRouteKit(instance, { development: opts.development })
  const { tagged, authErrors } = routeDocs(instance, 'events')
  instance.withTypeProvider<TypeBoxTypeProvider>().get(
    '/',
    {
      exposeHeadRoute: false,
      schema: {
        ...tagged(
          'streamEvents',
          'Follow the event log (server-sent events)',
          "`text/event-stream` of everything that changes in the caller's namespaces, from every process " +
            'sharing the store: run lifecycle (`queued`, `started`, `progress`, `paused`, `resumed`, `finished`, ' +
            '`failed`, `retrying`, `lost`, `cancelled`), `cache.deleted`, `cache.invalidated`, `worker.joined`, ' +
            "`worker.left`. Each event's `id` is its sequence in the store: reconnect with `Last-Event-ID` (any " +
            'instance, after a restart too) to get exactly the events after it. An unknown type or an id the ' +
            'store never handed out is a 400.',
        ),
        querystring: EventsQuerySchema,
        response: {
          200: {
            description: 'The event stream',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          ...errorResponses(400, ...authErrors, 404, 429, 500, 503),
        },
      },
      preHandler: protect(instance, 'viewer'),
    },
    async (request, reply) => {
      const query = request.query
      const namespaces = resolveNamespaces(request, {
        defaultNamespace: opts.defaultNamespace,
        requested: query.namespace,
      })
      if (namespaces === null) {
        throw withDetails(new ComputationNotFoundError(`namespace ${query.namespace} not found`), {
          namespace: query.namespace,
        })
      }
      const filter: NormalizedEventQuery = {
        namespaces,
        after: 0,
        limit: 1000,
        types: listOf<EventType>(query.type, 'type', isEventType, eventTypes),
        function: query.function ?? null,
        statuses: listOf<ComputationStatus>(query.status, 'status', isComputationStatus, [
          'queued',
          'started',
          'paused',
          'finished',
          'failed',
          'lost',
        ]),
        computationId: query.computation ?? null,
      }
      const after = await resumePoint(request, query, opts.hub.log)
      const client = clientKey(request)
      opts.streams.admit(client, reply)
      await opts.hub.start()
      new LogStream(request, reply, {
        ...opts.sse,
        hub: opts.hub,
        filter,
        after,
        streams: opts.streams,
        client,
      }).start()
      return reply
    },
  )
}
