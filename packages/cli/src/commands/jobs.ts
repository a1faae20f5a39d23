/** `submit`, `cancel | pause | resume | retry`, `workers list` and `worker --functions ./module.js`. */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { inspect } from 'node:util'
import {
  type Computation,
  createHttpWorker,
  type HttpJobFunction,
  type WorkerInfo,
} from '@comp-manager/client'
import { decode } from '@comp-manager/core/codec'
import type { Context } from '../context.js'
import { EXIT, UsageError } from '../errors.js'
import { type Column, formatTime, table } from '../output.js'
import type { CommandSpec } from '../spec.js'
import { positiveInt } from '../values.js'
import { computationCommands } from './computations.js'
import { namespaceOption } from './listing.js'

const watchCommand = computationCommands.find((c) => c.name === 'computations watch')!

/** The argument list of `submit`: a JSON array (codec-encoded values welcome), or one JSON value. */
function parseArgsJson(text: string | undefined, command: string): unknown[] {
  if (text === undefined) return []
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new UsageError(`<args-json> is not JSON: ${(err as Error).message}`, command)
  }
  const list = Array.isArray(value) ? value : [value]
  try {
    return decode(list) as unknown[]
  } catch (err) {
    throw new UsageError(`<args-json> is not codec JSON: ${(err as Error).message}`, command)
  }
}

const submit: CommandSpec<Context> = {
  name: 'submit',
  summary: 'Queue a job for the workers (identical calls are joined)',
  description:
    'Prints the job (created, or the existing one of the same call). With --wait, follows it live as\n' +
    "'computations watch' does (and each later attempt, when one failed and was retried), then prints\n" +
    'the decoded result of the last. Exit codes: 0 queued (or, with --wait,\n' +
    'finished), 1 refused or, with --wait, failed or lost, 2 usage, 130 interrupted.',
  args: [
    { name: 'function', description: 'The function name the workers run' },
    {
      name: 'args-json',
      description: 'The argument list as JSON (e.g. \'[30]\' or \'[{"__type__":"bigint","value":"9"}]\')',
      optional: true,
    },
  ],
  options: {
    wait: { type: 'boolean', short: 'w', description: 'Follow the job until it ends, then print its result' },
    priority: { type: 'string', value: 'n', description: 'Priority -1000..1000 (higher first; default 0)' },
    attempts: { type: 'string', value: 'n', description: 'Attempts in all, 1..100 (default 1)' },
    rerun: { type: 'boolean', description: 'Run again a call that already finished' },
    namespace: namespaceOption,
  },
  examples: [
    "comp-manager submit fib '[90]' --wait",
    'comp-manager submit report \'["2026-12"]\' --attempts 3 --json',
  ],
  async run(ctx) {
    const [fn, argsText] = ctx.positionals as [string, string | undefined]
    const args = parseArgsJson(argsText, this.name)
    const { values } = ctx
    const priority = values.priority === undefined ? undefined : Number(values.priority)
    if (priority !== undefined && !Number.isInteger(priority))
      throw new UsageError('--priority must be an integer', this.name)
    const attempts =
      values.attempts === undefined
        ? undefined
        : positiveInt(values.attempts as string, 'attempts', this.name)
    const handle = await ctx.client().computations.submit(fn, args, {
      signal: ctx.signal,
      ...(values.namespace === undefined ? {} : { namespace: values.namespace as string }),
      ...(priority === undefined ? {} : { priority }),
      ...(attempts === undefined ? {} : { attempts }),
      ...(values.rerun === true ? { rerun: true } : {}),
    })
    const record = handle.record
    if (!values.wait) {
      if (ctx.json) ctx.printJson(record)
      else
        ctx.out(
          `${handle.created ? 'queued' : 'joined'} ${record.function} as ${record.id} (${record.status})`,
        )
      return EXIT.ok
    }
    if (!ctx.json) ctx.out(`${handle.created ? 'queued' : 'joined'} ${record.id}`)
    const { exit, id } = await followAttempts(ctx, record.id, record.namespace)
    if (exit !== EXIT.ok) return exit
    const result = await ctx
      .client()
      .computations.result(id, { signal: ctx.signal, namespace: record.namespace })
    if (ctx.json) io(ctx).write(`${JSON.stringify({ result: await rawResult(ctx, id, record.namespace) })}\n`)
    else ctx.out(inspect(result, { depth: 6, colors: ctx.io.color, breakLength: 100 }))
    return EXIT.ok
  },
}

/**
 * Watches the job, and each later attempt queued in place of one that failed or was lost (a retryable
 * failure with attempts left, a dead worker's job): the exit code of the last one, and its id.
 */
async function followAttempts(ctx: Context, first: string, namespace: string) {
  const opts = { signal: ctx.signal, namespace }
  let id = first
  for (;;) {
    const exit = await watchCommand.run({ ...ctx, positionals: [id], values: { ...ctx.values, namespace } })
    if (exit === EXIT.ok) return { exit, id }
    const ended = await ctx
      .client()
      .computations.get(id, opts)
      .catch(() => null)
    const next = ended === null ? null : await ctx.client().computations.nextAttempt(ended, opts)
    if (next === null) return { exit, id }
    if (!ctx.json)
      ctx.out(`attempt ${ended!.attempt} ${ended!.status}; following attempt ${next.attempt} (${next.id})`)
    id = next.id
  }
}

const io = (ctx: Context) => ctx.io.stdout

/** The result as the server sends it (codec JSON), for `--json`. */
async function rawResult(ctx: Context, id: string, namespace: string): Promise<unknown> {
  const { data } = await ctx.client().raw.GET('/api/v1/computations/{id}/result', {
    params: { path: { id }, query: { namespace } },
  })
  return data
}

function action(name: 'cancel' | 'pause' | 'resume' | 'retry', summary: string): CommandSpec<Context> {
  return {
    name,
    summary,
    description:
      'Exit codes: 0 done, 1 refused (409 when the run is not in a state that allows it; its status is printed), 2 usage.',
    args: [{ name: 'id', description: 'The computation id' }],
    options: {
      namespace: namespaceOption,
      ...(name === 'cancel'
        ? {
            reason: {
              type: 'string',
              value: 'text',
              description: 'Why (recorded as the error message)',
            } as const,
          }
        : {}),
    },
    examples: [`comp-manager ${name} 01JH8ZQ4V3`],
    async run(ctx) {
      const id = ctx.positionals[0]!
      const opts = { signal: ctx.signal, namespace: ctx.values.namespace as string | undefined }
      const api = ctx.client().computations
      const record: Computation =
        name === 'cancel'
          ? await api.cancel(id, ctx.values.reason as string | undefined, opts)
          : await api[name](id, opts)
      if (ctx.json) ctx.printJson(record)
      else {
        const pending =
          name === 'pause' && (record as { outcome?: string }).outcome === 'pause_requested'
            ? ' (pause requested, not done: its runner is told at its next heartbeat, and a function that ignores it finishes)'
            : ''
        ctx.out(
          `${name === 'retry' ? `queued attempt ${record.attempt} as ${record.id}` : `${record.id} is ${record.status}`}${pending}`,
        )
      }
      return EXIT.ok
    },
  }
}

const workerColumns: Column<WorkerInfo>[] = [
  { header: 'ID', value: (w) => w.id, max: 40 },
  { header: 'HOST', value: (w) => `${w.host}${w.pid ? `:${w.pid}` : ''}`, max: 32 },
  { header: 'FUNCTIONS', value: (w) => w.functions.join(','), max: 40 },
  { header: 'RUNNING', value: (w) => `${w.running}/${w.concurrency}`, align: 'right' },
  { header: 'NAMESPACES', value: (w) => w.namespaces.join(','), max: 32 },
  { header: 'LAST SEEN', value: (w) => formatTime(w.lastSeenAt) },
]

const workersList: CommandSpec<Context> = {
  name: 'workers list',
  summary: 'List the live workers (HTTP and in-process)',
  description: 'A table on a terminal; one JSON object per line (NDJSON) when piped or with --json.',
  args: [],
  options: { namespace: namespaceOption },
  examples: ['comp-manager workers list', 'comp-manager workers list --json | jq .functions'],
  async run(ctx) {
    const rows: WorkerInfo[] = []
    let cursor: string | undefined
    do {
      const page = await ctx.client().workers.list(
        {
          per_page: 100,
          ...(cursor === undefined ? {} : { cursor }),
          ...(ctx.values.namespace === undefined ? {} : { namespace: ctx.values.namespace as string }),
        },
        { signal: ctx.signal },
      )
      rows.push(...page.data)
      cursor = page.next_cursor ?? undefined
    } while (cursor !== undefined)
    if (ctx.json || !ctx.io.isTty) for (const w of rows) ctx.io.stdout.write(`${JSON.stringify(w)}\n`)
    else ctx.out(rows.length === 0 ? 'no live workers' : table(rows, workerColumns, ctx.paint))
    return EXIT.ok
  },
}

/** The functions a module exports (named exports, or a default object of them). */
async function loadFunctions(path: string, command: string): Promise<Record<string, HttpJobFunction>> {
  let module: Record<string, unknown>
  try {
    module = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>
  } catch (err) {
    throw new UsageError(`--functions ${path}: cannot import it: ${(err as Error).message}`, command)
  }
  const source =
    typeof module.default === 'object' && module.default !== null
      ? (module.default as Record<string, unknown>)
      : module
  const functions = Object.fromEntries(
    Object.entries(source).filter(([, v]) => typeof v === 'function'),
  ) as Record<string, HttpJobFunction>
  if (Object.keys(functions).length === 0)
    throw new UsageError(`--functions ${path}: the module exports no function`, command)
  return functions
}

const worker: CommandSpec<Context> = {
  name: 'worker',
  summary: 'Run an HTTP worker for the functions a module exports',
  description:
    'Claims jobs of the exported functions over the worker protocol (needs a token or API key with the worker\n' +
    'role), heartbeats them, and records results and failures. Ctrl-C (or SIGTERM) stops claiming, lets the\n' +
    'running jobs finish for --grace, then gives the rest back to the queue. Prints one line per job\n' +
    '(NDJSON with --json). Exit codes: 0 stopped cleanly, 2 usage (bad module), 1 otherwise.',
  args: [],
  options: {
    functions: {
      type: 'string',
      short: 'f',
      value: 'module.js',
      description: 'An ES module exporting the functions (required)',
    },
    concurrency: { type: 'string', short: 'c', value: 'n', description: 'Jobs at once (default 1)' },
    id: { type: 'string', value: 'id', description: 'Worker id (default http-<random>)' },
    grace: {
      type: 'string',
      value: 'ms',
      description: 'How long running jobs may finish on stop (default 10000)',
    },
  },
  examples: ['comp-manager worker --functions ./jobs.js --concurrency 4'],
  async run(ctx) {
    const path = ctx.values.functions as string | undefined
    if (path === undefined) throw new UsageError('--functions <module.js> is required', this.name)
    const functions = await loadFunctions(path, this.name)
    const config = ctx.config()
    const log = (event: Record<string, unknown>) => {
      if (ctx.json) ctx.io.stdout.write(`${JSON.stringify(event)}\n`)
      else ctx.out(`${new Date().toISOString()} ${Object.values(event).join(' ')}`)
    }
    const concurrency =
      ctx.values.concurrency === undefined
        ? 1
        : positiveInt(ctx.values.concurrency as string, 'concurrency', this.name)
    const wrapped = Object.fromEntries(
      Object.entries(functions).map(([name, fn]) => [
        name,
        async (...args: unknown[]) => {
          const started = Date.now()
          try {
            const value = await fn(...args)
            log({ event: 'finished', function: name, ms: Date.now() - started })
            return value
          } catch (err) {
            log({ event: 'failed', function: name, error: (err as Error)?.message ?? String(err) })
            throw err
          }
        },
      ]),
    )
    const http = createHttpWorker({
      baseUrl: config.url,
      ...(config.token === undefined ? {} : { token: config.token }),
      ...(config.apiKey === undefined ? {} : { apiKey: config.apiKey }),
      functions: wrapped,
      concurrency,
      ...(ctx.values.id === undefined ? {} : { workerId: ctx.values.id as string }),
      onError: (err) => ctx.io.stderr.write(`${ctx.paint('yellow', `worker: ${(err as Error).message}`)}\n`),
    }).start()
    log({ event: 'started', worker: http.id, functions: Object.keys(functions).join(',') })
    await new Promise<void>((resolveStop) => {
      if (ctx.signal.aborted) resolveStop()
      ctx.signal.addEventListener('abort', () => resolveStop(), { once: true })
      process.once('SIGTERM', () => resolveStop())
    })
    const grace =
      ctx.values.grace === undefined ? 10_000 : positiveInt(ctx.values.grace as string, 'grace', this.name)
    await http.stop({ timeoutMs: grace })
    log({ event: 'stopped', worker: http.id })
    return EXIT.ok
  },
}

export const jobCommands = [
  submit,
  action('cancel', 'Cancel a queued, started or paused computation'),
  action('pause', 'Ask a running computation to pause'),
  action('resume', 'Put a paused job back in the queue'),
  action('retry', 'Queue a new attempt of a failed or lost job'),
  workersList,
  worker,
]
