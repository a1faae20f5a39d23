/**
 * The example server's worker: it runs the demo functions as queued jobs (`@comp-manager/worker`) on
 * the server's own store, so work submitted with `POST /api/v1/demo/jobs` — or by any process holding
 * the same SQLite file — is executed and visible at `/api/v1/computations`. Started when the server is
 * ready, drained when it closes (running jobs get 5 s, then are handed back to the queue).
 */
import { protect, useRouteKit } from '@comp-manager/fastify-kit'
import { createQueue, createWorker } from '@comp-manager/worker'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { factorize, invertHilbert, MAX_FACTOR_INPUT, MAX_MATRIX_SIZE } from './demo.js'

/** The job names (distinct from the tracked `factorize`/`invertHilbert` runs of the demo routes). */
export const DEMO_JOBS = ['demo.factorize', 'demo.invertHilbert'] as const

const JobBody = Type.Union([
  Type.Object(
    { function: Type.Literal('demo.factorize'), n: Type.String({ pattern: '^[1-9][0-9]{0,24}$' }) },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      function: Type.Literal('demo.invertHilbert'),
      size: Type.Integer({ minimum: 1, maximum: MAX_MATRIX_SIZE }),
    },
    { additionalProperties: false },
  ),
])
const JobAccepted = Type.Object(
  {
    id: Type.String(),
    status: Type.String(),
    created: Type.Boolean({ description: 'false: the same call was already queued, running or done' }),
  },
  { additionalProperties: false },
)

type JobRequest = { function: 'demo.factorize'; n: string } | { function: 'demo.invertHilbert'; size: number }

export interface DemoJobsOptions {
  /**
   * Run the in-process worker (default true). Off, the jobs wait for another worker of the same store
   * or of the HTTP worker protocol (e.g. `examples/python-worker`).
   */
  worker?: boolean
}

export async function demoJobs(api: FastifyInstance, options: DemoJobsOptions = {}): Promise<void> {
  const store = api.compStore
  if (store.queue === undefined) return // a store without a queue port runs no worker
  const namespace = api.tracker.namespace
  if (options.worker !== false) {
    const worker = createWorker({
      store,
      namespace,
      concurrency: 2,
      logger: api.log,
      functions: { 'demo.factorize': factorize, 'demo.invertHilbert': invertHilbert },
    })
    api.addHook('onReady', () => worker.start())
    api.addHook('onClose', async () => {
      await worker.close({ timeoutMs: 5000 })
    })
  }
  const queue = createQueue({ store, namespace, functions: [...DEMO_JOBS] })
  await api.register(
    async (jobs) => {
      useRouteKit(jobs)
      jobs.post(
        '/jobs',
        {
          preHandler: protect(jobs, 'operator'),
          schema: {
            tags: ['demo'],
            summary: 'Queue a demo computation for the worker',
            description:
              "Queues `demo.factorize` (n ≤ 10^24) or `demo.invertHilbert` (size ≤ 16); the server's worker runs " +
              'it. Follow it at `/computations/{id}` (status, progress) and `/computations/{id}/events`.',
            body: JobBody,
            response: { 202: JobAccepted },
          },
        },
        async (request, reply) => {
          const body = request.body as JobRequest
          const args = body.function === 'demo.factorize' ? [BigInt(body.n)] : [body.size]
          if (body.function === 'demo.factorize' && (args[0] as bigint) > MAX_FACTOR_INPUT) {
            throw Object.assign(new Error('n must be at most 10^24'), {
              statusCode: 400,
              code: 'CM_ERR_VALIDATION',
            })
          }
          const job = await queue.submit(body.function, args)
          reply.code(202)
          return { id: job.id, status: job.record.status, created: job.created }
        },
      )
    },
    { prefix: '/demo' },
  )
}
