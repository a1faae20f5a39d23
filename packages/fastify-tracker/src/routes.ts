import {
  assertTransition,
  type Codec,
  type Computation,
  type ComputationPatch,
  type ComputationStatus,
  type ComputationStore,
  type ErrorInfo,
  hashKey,
  isCompManagerError,
} from '@comp-manager/core'
import {
  emptyPage,
  errorResponses,
  firstFound,
  identityOf,
  pageOf,
  protect,
  resolveNamespaces,
  routeDocs,
  toPageBody,
  useRouteKit,
  withDetails,
  writeNamespace,
} from '@comp-manager/fastify-kit'
import type { Tracker } from '@comp-manager/tracker'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { toDto } from './dto.js'
import {
  ComputationConflictError,
  ComputationNotFoundError,
  ComputationValidationError,
  DuplicateComputationError,
} from './errors.js'
import {
  ComputationDtoSchema,
  ComputationPageSchema,
  CreateBodySchema,
  IdParamsSchema,
  ListQuerySchema,
  RecordQuerySchema,
  UpdateBodySchema,
} from './schemas.js'
import { EventStream, type StreamRegistry } from './sse.js'

export interface RoutesOptions {
  tracker: Tracker
  codec: Codec
  namespace: string
  sse: { pollMs: number; heartbeatMs: number }
  development: boolean
  streams: StreamRegistry
}

/** How many times a compare-and-set change is retried when the record changed under it. */
const CAS_TRIES = 3

/** The `/computations` routes, in the plugin's encapsulated child context (under its `prefix`). */
export async function computationRoutes(instance: FastifyInstance, opts: RoutesOptions): Promise<void> {
  const { tracker, codec, namespace: defaultNamespace, streams } = opts
  const computations: ComputationStore = tracker.store.computations
  useRouteKit(instance, { development: opts.development })
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  const { tagged, authErrors } = routeDocs(instance, 'computations')

  // ── helpers ──────────────────────────────────────────────────────────────────────────────────

  const notFound = (id: string) =>
    withDetails(new ComputationNotFoundError(`computation ${id} not found`), { id })

  /** The record `id` in the namespaces the request may see (the one it asked for, if any), or a 404. */
  async function find(
    request: FastifyRequest,
    id: string,
    requested: string | undefined,
  ): Promise<Computation> {
    const namespaces = resolveNamespaces(request, { defaultNamespace, requested })
    if (namespaces === null || namespaces.length === 0) throw notFound(id)
    const record = await firstFound(namespaces, (ns) => computations.get(ns, id))
    if (record === null) throw notFound(id)
    return record
  }

  /** Where `POST` creates a record: the requested namespace, else the plugin's, else the caller's only one. */
  const namespaceForCreate = (request: FastifyRequest, requested: string | undefined): string =>
    writeNamespace(request, {
      defaultNamespace,
      requested,
      notFound: ComputationNotFoundError,
      invalid: ComputationValidationError,
    })

  /**
   * A compare-and-set against the record's current status, re-read and retried when it changed in
   * between; `next(current)` returns the patch for that state (it may throw, e.g. an invalid transition).
   */
  async function compareAndSet(
    record: Computation,
    next: (current: Computation) => ComputationPatch,
  ): Promise<Computation> {
    let current = record
    for (let tries = 1; ; tries++) {
      const patch = next(current)
      try {
        return await computations.update(current.namespace, current.id, current.status, patch)
      } catch (err) {
        if (!isCompManagerError(err, 'CM_ERR_CONFLICT') || tries >= CAS_TRIES) throw err
        const fresh = await computations.get(current.namespace, current.id)
        if (fresh === null) throw notFound(current.id)
        current = fresh
      }
    }
  }

  /** Resumes a paused run of the tracker in this process; resolves once it is `started` again. */
  function resumeHere(request: FastifyRequest, record: Computation): Promise<Computation> {
    return new Promise<Computation>((resolve, reject) => {
      let settled = false
      const off = tracker.on('resumed', ({ record: resumed }) => {
        if (settled || resumed.id !== record.id) return
        settled = true
        off()
        resolve(resumed)
      })
      tracker.resume(record.id).then(
        () => {
          if (settled) return
          settled = true
          off()
          computations.get(record.namespace, record.id).then((r) => resolve(r ?? record), reject)
        },
        (err: unknown) => {
          if (settled) {
            // The resumed run ended with an error (paused again, cancelled, failed): recorded by the tracker.
            request.log.debug({ err, id: record.id }, 'a run resumed over HTTP ended with an error')
            return
          }
          settled = true
          off()
          if (isCompManagerError(err, 'CM_ERR_NOT_FOUND') && err.details?.functionFull !== undefined) {
            reject(
              withDetails(
                new ComputationConflictError(
                  `computation ${record.id} can only be resumed by a process that tracks '${record.functionFull}'`,
                ),
                { id: record.id, functionFull: record.functionFull },
              ),
            )
          } else reject(err)
        },
      )
    })
  }

  /** Moves a record to `status`: through the tracker for its own namespace, by compare-and-set otherwise. */
  async function changeStatus(
    request: FastifyRequest,
    record: Computation,
    status: ComputationStatus,
    message: string | null | undefined,
  ): Promise<Computation> {
    assertTransition(record.status, status)
    const own = record.namespace === tracker.namespace
    switch (status) {
      case 'paused':
        if (own) return tracker.pause(record.id)
        return compareAndSet(record, (current) => {
          assertTransition(current.status, 'paused')
          return { status: 'paused' }
        })
      case 'failed': {
        const reason = message ?? 'cancelled over HTTP'
        if (own) {
          const cancelled = await tracker.cancel(record.id, reason)
          return message === undefined ? cancelled : compareAndSet(cancelled, () => ({ message }))
        }
        const error: ErrorInfo = { name: 'CancelledError', message: reason, code: 'CM_ERR_CANCELLED' }
        return compareAndSet(record, (current) => {
          assertTransition(current.status, 'failed')
          return { status: 'failed', error, ...(message === undefined ? {} : { message }) }
        })
      }
      case 'started':
        if (record.status === 'paused') {
          if (!own) {
            throw withDetails(
              new ComputationConflictError(
                `computation ${record.id} can only be resumed by a process that tracks '${record.functionFull}' in namespace ${record.namespace}`,
              ),
              { id: record.id, functionFull: record.functionFull },
            )
          }
          return resumeHere(request, record)
        }
        return compareAndSet(record, (current) => {
          assertTransition(current.status, 'started')
          return { status: 'started' }
        })
      default:
        return compareAndSet(record, (current) => {
          assertTransition(current.status, status)
          return { status }
        })
    }
  }

  // ── routes ───────────────────────────────────────────────────────────────────────────────────

  app.get(
    '/',
    {
      schema: {
        ...tagged(
          'List computations',
          'Newest first by default, filtered by `status` (one or a comma-separated list), `function`, ' +
            '`since`/`until` (creation time) and `namespace`, paginated by `page`/`per_page` (≤ 100). ' +
            'Unknown or `$`-prefixed query keys are refused with 400.',
        ),
        querystring: ListQuerySchema,
        response: { 200: ComputationPageSchema, ...errorResponses(400, ...authErrors, 404, 500, 503) },
      },
      preHandler: protect(instance, 'viewer'),
    },
    async (request) => {
      const query = request.query
      const namespaces = resolveNamespaces(request, { defaultNamespace, requested: query.namespace })
      if (namespaces === null) {
        throw withDetails(new ComputationNotFoundError(`namespace ${query.namespace} not found`), {
          namespace: query.namespace,
        })
      }
      const { page, perPage } = pageOf(query)
      const now = Date.now()
      if (namespaces.length === 0) return toPageBody(emptyPage(page, perPage), (r) => toDto(r, now))
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
      const result = await computations.list({
        namespace: namespaces.length === 1 ? namespaces[0]! : namespaces,
        ...(statuses === undefined
          ? {}
          : { status: (statuses.length === 1 ? statuses[0] : statuses) as ComputationStatus }),
        ...(query.function === undefined ? {} : { function: query.function }),
        ...(since === undefined ? {} : { since }),
        ...(until === undefined ? {} : { until }),
        ...(query.sort === undefined ? {} : { sort: query.sort }),
        page,
        perPage,
      })
      return toPageBody(result, (r) => toDto(r, now))
    },
  )

  app.post(
    '/',
    {
      schema: {
        ...tagged(
          'Create a computation record',
          'Records a run (default `queued`) of `functionFull` with the codec-encoded argument list `args`, ' +
            'hashed as `tracker.track` hashes the same call, so a tracked call of the same function and ' +
            'arguments takes the queued record over. 409 `CM_ERR_DUPLICATE` when the hash already has a run.',
        ),
        body: CreateBodySchema,
        response: {
          201: ComputationDtoSchema,
          ...errorResponses(400, ...authErrors, 404, 409, 413, 500, 503),
        },
      },
      preHandler: protect(instance, 'operator'),
    },
    async (request, reply) => {
      const body = request.body
      const namespace = namespaceForCreate(request, body.namespace)
      const fn = body.function
      const functionFull = body.functionFull ?? fn
      const args = codec.decode(body.args ?? [])
      const hash = hashKey(
        { fn: functionFull, ...(body.version === undefined ? {} : { version: body.version }), args },
        { codec },
      )
      let record: Computation
      try {
        record = await computations.create({
          namespace,
          name: body.name ?? fn,
          function: fn,
          functionFull,
          args: codec.encode(args),
          hash: hash.key,
          hashAlgorithm: hash.algorithm,
          status: body.status ?? 'queued',
          owner: identityOf(request)?.subject ?? null,
          message: body.message ?? null,
        })
      } catch (err) {
        if (!isCompManagerError(err, 'CM_ERR_DUPLICATE')) throw err
        const existing = await computations.getByHash(namespace, hash.key)
        throw withDetails(
          new DuplicateComputationError(
            `a computation with the same hash already exists in ${namespace}` +
              (existing === null ? '' : ` (${existing.id}, ${existing.status})`),
          ),
          { hash: hash.key, ...(existing === null ? {} : { id: existing.id, status: existing.status }) },
        )
      }
      const base = request.url.split('?')[0]!.replace(/\/+$/, '')
      reply.code(201).header('location', `${base}/${encodeURIComponent(record.id)}`)
      return toDto(record)
    },
  )

  app.get(
    '/:id',
    {
      schema: {
        ...tagged(
          'Get a computation',
          "404 when it does not exist or belongs to a namespace outside the caller's.",
        ),
        params: IdParamsSchema,
        querystring: RecordQuerySchema,
        response: { 200: ComputationDtoSchema, ...errorResponses(400, ...authErrors, 404, 500, 503) },
      },
      preHandler: protect(instance, 'viewer'),
    },
    async (request) => toDto(await find(request, request.params.id, request.query.namespace)),
  )

  app.put(
    '/:id',
    {
      schema: {
        ...tagged(
          'Update a computation',
          'Changes `status` through the state machine (`paused` pauses, `started` resumes a paused run of ' +
            'this server or starts a queued one, `failed` cancels with `message` as the reason, `finished`/`lost` ' +
            'by compare-and-set), and sets `message` and `progress`. 409 `CM_ERR_INVALID_TRANSITION` for a ' +
            'change the state machine does not allow.',
        ),
        params: IdParamsSchema,
        querystring: RecordQuerySchema,
        body: UpdateBodySchema,
        response: { 200: ComputationDtoSchema, ...errorResponses(400, ...authErrors, 404, 409, 500, 503) },
      },
      preHandler: protect(instance, 'operator'),
    },
    async (request) => {
      const { status, message, progress } = request.body
      let record = await find(request, request.params.id, request.query.namespace)
      let messageDone = false
      if (status !== undefined && status !== record.status) {
        record = await changeStatus(request, record, status, message)
        messageDone = status === 'failed'
      }
      const patch: ComputationPatch = {}
      if (message !== undefined && !messageDone) patch.message = message
      if (progress !== undefined) patch.progress = progress
      if (Object.keys(patch).length > 0) record = await compareAndSet(record, () => patch)
      return toDto(record)
    },
  )

  app.delete(
    '/:id',
    {
      schema: {
        ...tagged(
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
      const record = await find(request, request.params.id, request.query.namespace)
      if (record.status === 'started' && record.leaseUntil !== null && record.leaseUntil > Date.now()) {
        throw withDetails(
          new ComputationConflictError(`computation ${record.id} is running: cancel it before deleting it`),
          { id: record.id, status: record.status },
        )
      }
      if (!(await computations.delete(record.namespace, record.id))) throw notFound(record.id)
      reply.code(204).send(null)
    },
  )

  app.get(
    '/:id/events',
    {
      // A HEAD request would open a stream with nothing to send.
      exposeHeadRoute: false,
      schema: {
        ...tagged(
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
      const record = await find(request, request.params.id, request.query.namespace)
      if (request.headers['last-event-id'] !== undefined && isOver(record)) {
        return reply.code(204).send(null)
      }
      new EventStream(request, reply, {
        computations,
        tracker,
        record,
        pollMs: opts.sse.pollMs,
        heartbeatMs: opts.sse.heartbeatMs,
        streams,
      }).start()
      return reply
    },
  )
}

const isOver = (record: Computation): boolean =>
  record.status === 'finished' || record.status === 'failed' || record.status === 'lost'
