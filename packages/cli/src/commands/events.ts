import type { EventFilter, FleetEvent, FleetEventType } from '@comp-manager/client'
import type { Context } from '../context.js'
import { EXIT, UsageError } from '../errors.js'
import { formatTime, statusStyle } from '../output.js'
import type { CommandSpec } from '../spec.js'
import { namespaceOption } from './listing.js'

const list = (value: unknown): string[] | undefined =>
  typeof value === 'string' && value !== '' ? value.split(',').map((v) => v.trim()) : undefined

/** The filter of the command's flags (the server checks the names: an unknown one is its 400). */
function filterOf(values: Record<string, unknown>): EventFilter {
  const after = values.after as string | undefined
  if (after !== undefined && !/^\d{1,16}$/.test(after)) {
    throw new UsageError(`--after must be an event id (a whole number), got ${JSON.stringify(after)}`)
  }
  const types = list(values.type) as FleetEventType[] | undefined
  const status = list(values.status) as EventFilter['status']
  return {
    ...(types === undefined ? {} : { types }),
    ...(typeof values.function === 'string' ? { function: values.function } : {}),
    ...(status === undefined ? {} : { status }),
    ...(typeof values.computation === 'string' ? { computation: values.computation } : {}),
    ...(after === undefined ? {} : { after: Number(after) }),
  }
}

/** One line of an event: its id, time, type, and what it is about. */
function line(e: FleetEvent, ctx: Context): string {
  const about =
    e.computationId !== null
      ? `${e.function ?? ''} ${ctx.paint('dim', e.computationId)}${e.status === null ? '' : ` ${ctx.paint(statusStyle[e.status], e.status)}`}`
      : e.type.startsWith('cache.')
        ? JSON.stringify(e.data.key ?? e.data.criteria)
        : `${String(e.data.worker)} ${String(e.data.host)}:${String(e.data.pid)}`
  const error = (e.data.error as { name?: string; message?: string } | null | undefined) ?? null
  return `${ctx.paint('dim', String(e.sequence).padStart(6))} ${formatTime(Date.parse(e.at))} ${e.namespace} ${e.type} ${about}${error ? `  ${error.name}: ${error.message}` : ''}`
}

const events: CommandSpec<Context> = {
  name: 'events',
  summary: "Follow the fleet's event log (runs, cache invalidations, workers) until Ctrl-C",
  description:
    'One line per event, or one JSON object per line with --json. Resumes after a dropped connection\n' +
    'without losing or repeating an event; --after <id> starts after an event id you saw before.',
  args: [],
  options: {
    function: { type: 'string', short: 'f', value: 'name', description: 'Only events of this function' },
    type: {
      type: 'string',
      short: 't',
      value: 'types',
      description: 'Only these types, comma-separated (finished,failed, cache.invalidated, worker.joined…)',
    },
    status: {
      type: 'string',
      value: 'statuses',
      description: 'Only events whose status after the change is one of these',
    },
    computation: { type: 'string', value: 'id', description: 'Only events of this computation' },
    after: { type: 'string', value: 'id', description: 'Start after this event id (default: from now on)' },
    namespace: namespaceOption,
  },
  examples: [
    'comp-manager events',
    'comp-manager events --function fib --type finished,failed',
    'comp-manager events --json --after 1042 | jq .type',
  ],
  async run(ctx) {
    const filter = filterOf(ctx.values)
    const stream = ctx.client().events.subscribe(filter, {
      signal: ctx.signal,
      namespace: ctx.values.namespace as string | undefined,
    })
    for await (const e of stream) {
      if (ctx.json) ctx.io.stdout.write(`${JSON.stringify(e)}\n`)
      else ctx.out(line(e, ctx))
    }
    return EXIT.ok
  },
}

export const eventCommands = [events]
