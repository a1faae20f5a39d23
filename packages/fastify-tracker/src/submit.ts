/**
 * `POST /computations`: queue a job for the workers (joined by hash when the same call is queued or
 * running), or report a run the caller executes itself (`status: 'started'`), which gets a lease and a
 * lease token so that it cannot hang forever.
 */
import { type Computation, cmError, isCompManagerError, type QueueStore } from '@comp-manager/core'
import { type CallSpec, callHash, createRun, notifyQueued } from '@comp-manager/core/runs'
import { errorResponses, identityOf, protect, withDetails } from '@comp-manager/fastify-kit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { toDto } from './dto.js'
import { ComputationValidationError, DuplicateComputationError } from './errors.js'
import { namespaceForCreate, type RecordContext } from './records.js'
import type { Routes } from './route-types.js'
import {
  type CreateBody,
  CreateBodySchema,
  type SubmittedComputation,
  SubmittedComputationSchema,
} from './schemas.js'

const QUEUE_FIELDS = ['priority', 'runAt', 'attempts', 'rerun'] as const

/** The functions `POST /computations` accepts (the plugin's `functions` option). */
export type SubmitFunctions = readonly string[] | 'registered' | undefined

/** `CM_ERR_UNKNOWN_FUNCTION` unless `fn` is accepted (a list, or a function of a live worker of the namespace). */
async function assertKnownFunction(
  queue: QueueStore,
  functions: SubmitFunctions,
  namespace: string,
  fn: string,
): Promise<void> {
  if (functions === undefined) return
  const names =
    functions === 'registered' ? (await queue.listWorkers(namespace)).flatMap((w) => w.functions) : functions
  if (names.includes(fn)) return
  throw cmError(
    'CM_ERR_UNKNOWN_FUNCTION',
    `no worker of namespace ${namespace} runs a function named ${JSON.stringify(fn.slice(0, 100))}`,
    { details: { function: fn, namespace } },
  )
}

function locate(request: FastifyRequest, reply: FastifyReply, record: Computation): void {
  const base = request.url.split('?')[0]!.replace(/\/+$/, '')
  reply.header('location', `${base}/${encodeURIComponent(record.id)}`)
}

/** Queues the call through the store's queue port: 201 created, or 200 with the joined record. */
async function enqueue(
  { ctx, opts }: Routes,
  request: FastifyRequest,
  reply: FastifyReply,
  input: { namespace: string; body: CreateBody; call: CallSpec & { args: unknown[] } },
): Promise<SubmittedComputation> {
  const { namespace, body, call } = input
  const store = ctx.tracker.store
  const queue = store.queue as QueueStore
  await assertKnownFunction(queue, opts.functions, namespace, body.function)
  const hash = callHash(call)
  const runAt = body.runAt === undefined ? null : Date.parse(body.runAt)
  const { record, created } = await queue.enqueue({
    namespace,
    name: body.name ?? body.function,
    function: body.function,
    functionFull: call.functionFull,
    args: opts.codec.encode([...call.args]),
    hash: hash.key,
    hashAlgorithm: hash.algorithm,
    runAt,
    ...(body.priority === undefined ? {} : { priority: body.priority }),
    ...(body.attempts === undefined ? {} : { maxAttempts: body.attempts }),
    ...(body.rerun === undefined ? {} : { rerun: body.rerun }),
    owner: identityOf(request)?.subject ?? null,
    ...(body.message === undefined ? {} : { message: body.message }),
  })
  if (created) notifyQueued(store)
  locate(request, reply, record)
  reply.code(created ? 201 : 200)
  return { ...toDto(record), deduplicated: !created }
}

/** Records the caller's own run as `started`, leased for `leaseMs`; the answer carries its lease token. */
async function report(
  routes: Routes,
  request: FastifyRequest,
  reply: FastifyReply,
  input: { namespace: string; body: CreateBody; call: CallSpec & { args: unknown[] } },
): Promise<SubmittedComputation> {
  const { ctx, opts } = routes
  const { namespace, body, call } = input
  let record: Computation
  try {
    record = await createRun(ctx.computations, {
      ...call,
      namespace,
      name: body.name ?? body.function,
      function: body.function,
      status: body.status ?? 'queued',
      owner: identityOf(request)?.subject ?? null,
      message: body.message ?? null,
      ...(body.status === 'started' ? { leaseUntil: Date.now() + opts.leaseMs } : {}),
    })
  } catch (err) {
    if (!isCompManagerError(err, 'CM_ERR_DUPLICATE') || body.status !== 'started') throw err
    const replaced = await replaceOver(routes, request, input)
    if (replaced === null) throw await duplicate(ctx, namespace, call)
    record = replaced
  }
  locate(request, reply, record)
  reply.code(201)
  return {
    ...toDto(record),
    deduplicated: false,
    ...(record.status === 'started'
      ? { leaseToken: opts.leaseTokens.issue(record), heartbeatMs: Math.max(1, Math.floor(opts.leaseMs / 3)) }
      : {}),
  }
}

/**
 * A reported run of a call whose latest run is over without a result (`lost`, `failed`) or whose
 * lease ran out (a dead reporter nobody swept yet: it becomes `lost`): the next attempt, `started` and
 * leased, in one atomic claim. `null` when the call is queued, running or finished (a duplicate).
 */
async function replaceOver(
  { ctx, opts }: Routes,
  request: FastifyRequest,
  input: { namespace: string; body: CreateBody; call: CallSpec & { args: unknown[] } },
): Promise<Computation | null> {
  const { namespace, body, call } = input
  const hash = callHash(call)
  const latest = await ctx.computations.getByHash(namespace, hash.key)
  // A queued job is the workers' to take: reporting it as started would steal it.
  if (latest === null || latest.status === 'queued') return null
  const claim = await ctx.computations.claim({
    namespace,
    name: body.name ?? body.function,
    function: body.function,
    functionFull: call.functionFull,
    args: opts.codec.encode([...call.args]),
    hash: hash.key,
    hashAlgorithm: hash.algorithm,
    owner: identityOf(request)?.subject ?? null,
    pid: null,
    host: null,
    leaseMs: opts.leaseMs,
    onTerminal: 'rerun-failed',
    ...(body.message === undefined ? {} : { message: body.message }),
  })
  return claim.won ? claim.record : null
}

async function duplicate(ctx: RecordContext, namespace: string, call: CallSpec): Promise<Error> {
  const hash = callHash(call)
  const existing = await ctx.computations.getByHash(namespace, hash.key)
  return withDetails(
    new DuplicateComputationError(
      `a computation with the same hash already exists in ${namespace}` +
        (existing === null ? '' : ` (${existing.id}, ${existing.status})`),
    ),
    { hash: hash.key, ...(existing === null ? {} : { id: existing.id, status: existing.status }) },
  )
}

/** `POST /`: queue a job, or report a run. */
export function createRoute(routes: Routes): void {
  const { app, instance, tagged, authErrors, ctx, opts } = routes
  app.post(
    '/',
    {
      schema: {
        ...tagged(
          'createComputation',
          'Submit a job (or report a run)',
          'Queues a call of `function` with the codec-encoded argument list `args` for the workers ' +
            '(`priority`, `runAt`, `attempts`, `rerun`): 201 with the new job and its `location`, or 200 with the ' +
            'existing record (`deduplicated: true`) when the same call (same hash) is already queued or running, ' +
            'or finished (unless `rerun`). With `status: "started"` the caller reports a run it executes itself: ' +
            'the answer carries a `leaseToken`; heartbeat it (`POST /computations/:id/heartbeat`) or the run is ' +
            'declared lost when its lease runs out, and end it with `complete`/`fail` (or `PUT`). 409 ' +
            '`CM_ERR_DUPLICATE` when a reported call is already queued, running or finished (after a `lost` or ' +
            '`failed` run, or one whose lease ran out, the report is its next attempt). 400 `CM_ERR_UNKNOWN_FUNCTION` when ' +
            'the server checks function names and no worker runs it.',
        ),
        body: CreateBodySchema,
        response: {
          200: {
            ...SubmittedComputationSchema,
            description: 'The same call was already queued, running or finished',
          },
          201: SubmittedComputationSchema,
          ...errorResponses(400, ...authErrors, 404, 409, 413, 500, 503),
        },
      },
      preHandler: protect(instance, 'operator'),
    },
    async (request, reply) => {
      const body = request.body
      const namespace = namespaceForCreate(ctx, request, body.namespace)
      const decoded = opts.codec.decode(body.args ?? [])
      if (!Array.isArray(decoded)) {
        throw withDetails(new ComputationValidationError('body/args must decode to an argument list'), {
          in: 'body',
          issues: [{ path: 'body/args', message: 'must decode to an argument list' }],
        })
      }
      const call = {
        functionFull: body.functionFull ?? body.function,
        ...(body.version === undefined ? {} : { version: body.version }),
        args: decoded as unknown[],
        codec: opts.codec,
      }
      const queued = body.status !== 'started' && ctx.tracker.store.queue !== undefined
      if (!queued) {
        const given = QUEUE_FIELDS.filter((field) => body[field] !== undefined)
        if (given.length > 0) {
          throw withDetails(
            new ComputationValidationError(
              `body/${given[0]} applies to a queued job only (not to a run reported as started, nor without a queue port)`,
            ),
            {
              in: 'body',
              issues: given.map((field) => ({ path: `body/${field}`, message: 'queued jobs only' })),
            },
          )
        }
      }
      const input = { namespace, body, call }
      return queued ? enqueue(routes, request, reply, input) : report(routes, request, reply, input)
    },
  )
}
