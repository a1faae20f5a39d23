import type { Computation, ComputationListField, ComputationStatus } from '@comp-manager/core'
import type { RunNotes } from '@comp-manager/core/runs'
import {
  emptyPage,
  errorResponses,
  pagingOf,
  protect,
  resolveNamespaces,
  routeDocs,
  toPageBody,
  useRouteKit,
  withDetails,
} from '@comp-manager/fastify-kit'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { controlRoutes } from './control.js'
import { toDto } from './dto.js'
import { ComputationConflictError, ComputationNotFoundError, ComputationValidationError } from './errors.js'
import { changeStatus, find, noteRecord, notFound, pauseOutcome } from './records.js'
import type { Routes, RoutesOptions } from './route-types.js'
import {
  ComputationDtoSchema,
  ComputationPageSchema,
  IdParamsSchema,
  ListQuerySchema,
  RecordQuerySchema,
  UpdateBodySchema,
} from './schemas.js'
import { EventStream } from './sse.js'
import { statsRoute } from './stats-route.js'
import { clientKey } from './stream-registry.js'
import { createRoute } from './submit.js'

export type { RoutesOptions } from './route-types.js'

/** `GET /`: a page of computations, filtered. */
function listRoute({ app, instance, tagged, authErrors, ctx }: Routes): void {
  app.get(
    '/',
    {
      schema: {
        ...tagged(
          'listComputations',
          'List computations',
          'Newest first by default, filtered by `status` (one or a comma-separated list), `function`, `hash` (the attempts of one call), ' +
            '`since`/`until` (creation time) and `namespace`, paginated by `page`/`per_page` (≤ 100) or by `cursor` (the `next_cursor` of the previous page; ' +
            'flat at any depth). Rows are summaries without `args`/`checkpoint` unless `include` asks. ' +
            'Unknown or `$`-prefixed query keys are refused with 400.',
        ),
        querystring: ListQuerySchema,
        response: { 200: ComputationPageSchema, ...errorResponses(400, ...authErrors, 404, 500, 503) },
      },
      preHandler: protect(instance, 'viewer'),
    },
    async (request) => {
      const query = request.query
      const namespaces = resolveNamespaces(request, {
        defaultNamespace: ctx.defaultNamespace,
        requested: query.namespace,
      })
      if (namespaces === null) {
        throw withDetails(new ComputationNotFoundError(`namespace ${query.namespace} not found`), {
          namespace: query.namespace,
        })
      }
      const paging = pagingOf(query)
      const now = Date.now()
      if (namespaces.length === 0) {
        return toPageBody(emptyPage(paging.page ?? null, paging.perPage), (r) => toDto(r, now))
      }
      const since = query.since === undefined ? undefined : Date.parse(query.since)
      const until = query.until === undefined ? undefined : Date.parse(query.until)
      for (const [key, value] of [
        ['since', since],
        ['until', until],
      ] as const) {
        if (value !== undefined && !Number.isFinite(value)) {
          throw withDetails(new ComputationValidationError(`querystring/${key} is not a valid date-time`), {
            in: 'querystring',
            issues: [{ path: `querystring/${key}`, message: 'is not a valid date-time' }],
          })
        }
      }
      const statuses =
        query.status === undefined
          ? undefined
          : [...new Set([query.status].flat().flatMap((list) => list.split(',')))]
      const result = await ctx.computations.list({
        namespace: namespaces.length === 1 ? namespaces[0]! : namespaces,
        ...(statuses === undefined
          ? {}
          : { status: (statuses.length === 1 ? statuses[0] : statuses) as ComputationStatus }),
        ...(query.function === undefined ? {} : { function: query.function }),
        ...(query.hash === undefined ? {} : { hash: query.hash }),
        ...(since === undefined ? {} : { since }),
        ...(until === undefined ? {} : { until }),
        ...(query.sort === undefined ? {} : { sort: query.sort }),
        ...paging,
        include: query.include === undefined ? [] : (query.include.split(',') as ComputationListField[]),
      })
      return toPageBody(result, (r) => toDto(r, now))
    },
  )
}

/** `GET /:id`: one record. */
function getRoute({ app, instance, tagged, authErrors, ctx }: Routes): void {
  app.get(
    '/:id',
    {
      schema: {
        ...tagged(
          'getComputation',
          'Get a computation',
          "404 when it does not exist or belongs to a namespace outside the caller's.",
        ),
        params: IdParamsSchema,
        querystring: RecordQuerySchema,
        response: { 200: ComputationDtoSchema, ...errorResponses(400, ...authErrors, 404, 500, 503) },
      },
      preHandler: protect(instance, 'viewer'),
    },
    async (request) => toDto(await find(ctx, request, request.params.id, request.query.namespace)),
  )
}

/** `PUT /:id`: status through the state machine, message, progress. */
function updateRoute({ app, instance, tagged, authErrors, ctx }: Routes): void {
  app.put(
    '/:id',
    {
      schema: {
        ...tagged(
          'updateComputation',
          'Update a computation',
          'Changes `status` through the state machine (`paused` pauses: 202 while the run is only asked to, see ' +
            '`POST /:id/pause`; `started` resumes a paused run of ' +
            'this server or starts a queued one, `failed` cancels with `message` as the reason, `finished`/`lost` ' +
            'by compare-and-set), and sets `message` and `progress`. 409 `CM_ERR_INVALID_TRANSITION` for a ' +
            'change the state machine does not allow.',
        ),
        params: IdParamsSchema,
        querystring: RecordQuerySchema,
        body: UpdateBodySchema,
        response: {
          200: ComputationDtoSchema,
          202: { ...ComputationDtoSchema, description: 'Pause requested: the run is still running' },
          ...errorResponses(400, ...authErrors, 404, 409, 413, 500, 503),
        },
      },
      preHandler: protect(instance, 'operator'),
    },
    async (request, reply) => {
      const { status, message, progress } = request.body
      let record = await find(ctx, request, request.params.id, request.query.namespace)
      const changing = status !== undefined && status !== record.status
      // A cancel records the message as its reason, in the same write; otherwise notes go first,
      // while the run is not over (a run that is over is immutable).
      const notes: RunNotes = {
        ...(message === undefined || (changing && status === 'failed') ? {} : { message }),
        ...(progress === undefined ? {} : { progress }),
      }
      if (Object.keys(notes).length > 0) record = await noteRecord(ctx, record, notes)
      if (changing) record = await changeStatus(ctx, request, record, status, message)
      if (changing && status === 'paused' && pauseOutcome(record) === 'pause_requested') reply.code(202)
      return toDto(record)
    },
  )
}

/** `DELETE /:id`: a record that is not running. */
function deleteRoute({ app, instance, tagged, authErrors, ctx }: Routes): void {
  app.delete(
    '/:id',
    {
      schema: {
        ...tagged(
          'deleteComputation',
          'Delete a computation',
          'Deletes the record (204). A run that is live (started, lease valid) is refused with 409 ' +
            '`CM_ERR_CONFLICT`: cancel it first (`PUT` with `status: "failed"`).',
        ),
        params: IdParamsSchema,
        querystring: RecordQuerySchema,
        response: {
          204: Type.Null({ description: 'Deleted' }),
          ...errorResponses(400, ...authErrors, 404, 409, 500, 503),
        },
      },
      preHandler: protect(instance, 'admin'),
    },
    async (request, reply) => {
      const record = await find(ctx, request, request.params.id, request.query.namespace)
      if (record.status === 'started' && record.leaseUntil !== null && record.leaseUntil > Date.now()) {
        throw withDetails(
          new ComputationConflictError(`computation ${record.id} is running: cancel it before deleting it`),
          { id: record.id, status: record.status },
        )
      }
      if (!(await ctx.computations.delete(record.namespace, record.id))) throw notFound(record.id)
      reply.code(204).send(null)
    },
  )
}

/** `GET /:id/events`: server-sent events of one record. */
function eventsRoute({ app, instance, tagged, authErrors, ctx, opts }: Routes): void {
  app.get(
    '/:id/events',
    {
      // A HEAD request would open a stream with nothing to send.
      exposeHeadRoute: false,
      schema: {
        ...tagged(
          'watchComputation',
          'Follow a computation (server-sent events)',
          '`text/event-stream`: a `status` event with the record first and on each status change, `progress` ' +
            'events when its progress or message changes, a comment heartbeat, and a final `end` event (the ' +
            'final record, or null if it was deleted) when the run is over; then the stream closes. A ' +
            'reconnection (`Last-Event-ID`) to a run that is over gets 204, which stops EventSource.',
        ),
        params: IdParamsSchema,
        querystring: RecordQuerySchema,
        response: {
          200: {
            description: 'The event stream',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          204: Type.Null({ description: 'The run is over (a reconnection after `end`)' }),
          ...errorResponses(400, ...authErrors, 404, 500, 503),
        },
      },
      preHandler: protect(instance, 'viewer'),
    },
    async (request, reply) => {
      const record = await find(ctx, request, request.params.id, request.query.namespace)
      if (request.headers['last-event-id'] !== undefined && isOver(record)) {
        return reply.code(204).send(null)
      }
      const client = clientKey(request)
      opts.streams.admit(client, reply)
      new EventStream(request, reply, {
        ...opts.sse,
        computations: ctx.computations,
        tracker: ctx.tracker,
        record,
        streams: opts.streams,
        client,
      }).start()
      return reply
    },
  )
}

/** The `/computations` routes, in the plugin's encapsulated child context (under its `prefix`). */
export async function computationRoutes(instance: FastifyInstance, opts: RoutesOptions): Promise<void> {
  useRouteKit(instance, { development: opts.development })
  const { tagged, authErrors } = routeDocs(instance, 'computations')
  const routes: Routes = {
    app: instance.withTypeProvider<TypeBoxTypeProvider>(),
    instance,
    tagged,
    authErrors,
    ctx: {
      tracker: opts.tracker,
      computations: opts.tracker.store.computations,
      defaultNamespace: opts.namespace,
    },
    opts,
  }
  for (const declare of [
    listRoute,
    statsRoute,
    createRoute,
    getRoute,
    updateRoute,
    deleteRoute,
    eventsRoute,
    ...controlRoutes,
  ])
    declare(routes)
}

const isOver = (record: Computation): boolean =>
  record.status === 'finished' || record.status === 'failed' || record.status === 'lost'
