import { inspect } from 'node:util'
import type {
  Computation,
  ComputationEvent,
  ComputationFilters,
  ComputationSummary,
} from '@comp-manager/client'
import { decode } from '@comp-manager/core/codec'
import type { Context } from '../context.js'
import { EXIT } from '../errors.js'
import {
  type Column,
  formatDuration,
  formatPercent,
  formatTime,
  keyValues,
  progressBar,
  statusStyle,
} from '../output.js'
import type { CommandSpec } from '../spec.js'
import { oneOf, timeFlag } from '../values.js'
import { namespaceOption, pagingOptions, runListing } from './listing.js'

const statuses = ['queued', 'started', 'paused', 'finished', 'failed', 'lost'] as const
const sorts = ['createdAt', '-createdAt', 'updatedAt', '-updatedAt'] as const

/** Shows a codec-encoded value decoded (`12345678901234567890n`, `Map(1) {…}`), or as JSON when it cannot be. */
export function showEncoded(value: unknown, color: boolean): string {
  if (value === null || value === undefined) return '-'
  try {
    return inspect(decode(value), { depth: 4, colors: color, breakLength: 100, maxArrayLength: 20 })
  } catch {
    return JSON.stringify(value)
  }
}

const columns: Column<ComputationSummary>[] = [
  { header: 'ID', value: (c) => c.id },
  { header: 'FUNCTION', value: (c) => c.function, max: 32 },
  { header: 'STATUS', value: (c) => c.status, style: (c) => statusStyle[c.status] },
  { header: 'PROGRESS', value: (c) => formatPercent(c.progress?.fraction), align: 'right' },
  { header: 'CREATED', value: (c) => formatTime(c.createdAt) },
  { header: 'DURATION', value: (c) => formatDuration(c.runningTimeMs), align: 'right' },
  { header: 'MESSAGE', value: (c) => c.error?.message ?? c.message ?? '', max: 48 },
]

const list: CommandSpec<Context> = {
  name: 'computations list',
  summary: 'List computations, newest first',
  args: [],
  options: {
    status: {
      type: 'string',
      short: 's',
      multiple: true,
      value: 'status',
      description: `Only these statuses (${statuses.join(', ')}); repeat or comma-separate`,
    },
    function: {
      type: 'string',
      short: 'f',
      value: 'name',
      description: 'Only this function (short or qualified name)',
    },
    since: {
      type: 'string',
      value: 'time',
      description: 'Created at or after: ISO date-time, or an age (30m, 12h, 7d)',
    },
    until: { type: 'string', value: 'time', description: 'Created before: ISO date-time, or an age' },
    ...pagingOptions(sorts),
  },
  examples: [
    'comp-manager computations list',
    'comp-manager computations list --status failed,lost --since 1d',
    'comp-manager computations list --function factor --all --json | jq length',
  ],
  async run(ctx) {
    const { values } = ctx
    const name = this.name
    const rawStatuses = ((values.status as string[] | undefined) ?? []).flatMap((s) => s.split(','))
    for (const s of rawStatuses) oneOf(s, statuses, 'status', name)
    const filters: ComputationFilters = {}
    if (rawStatuses.length > 0) filters.status = rawStatuses.join(',')
    if (values.function !== undefined) filters.function = values.function as string
    const since = timeFlag(values.since as string | undefined, 'since', name)
    const until = timeFlag(values.until as string | undefined, 'until', name)
    if (since !== undefined) filters.since = since
    if (until !== undefined) filters.until = until
    return runListing(ctx, name, filters, {
      sorts,
      columns,
      none: 'no computations',
      noun: 'computations',
      all: (f, call) => ctx.client().computations.all(f, call),
      list: (f, call) => ctx.client().computations.list(f, call),
    })
  },
}

function detail(c: Computation, ctx: Context): string {
  const p = ctx.paint
  const entries: Array<[string, string]> = [
    ['id', c.id],
    ['namespace', c.namespace],
    ['function', c.function === c.functionFull ? c.function : `${c.function} (${c.functionFull})`],
    ['name', c.name],
    ['status', p(statusStyle[c.status], c.status)],
  ]
  if (c.progress) {
    entries.push([
      'progress',
      `${progressBar(c.progress.fraction, 20)} ${formatPercent(c.progress.fraction)}${c.progress.note ? ` ${c.progress.note}` : ''}`,
    ])
  }
  if (c.message) entries.push(['message', c.message])
  if (c.error) entries.push(['error', p('red', `${c.error.name}: ${c.error.message}`)])
  entries.push(
    ['args', showEncoded(c.args, ctx.io.color)],
    ['hash', `${c.hash} (${c.hashAlgorithm})`],
    ['attempt', String(c.attempt)],
    ['owner', [c.owner, c.host, c.pid === null ? null : `pid ${c.pid}`].filter(Boolean).join(' · ') || '-'],
    ['created', formatTime(c.createdAt)],
    ['started', formatTime(c.startedAt)],
    ['finished', formatTime(c.finishedAt)],
    ['updated', formatTime(c.updatedAt)],
    ['running time', formatDuration(c.runningTimeMs)],
  )
  if (c.result) entries.push(['result', `cache key ${c.result.cacheKey}`])
  return keyValues(entries, p)
}

const show: CommandSpec<Context> = {
  name: 'computations show',
  summary: 'Show one computation',
  args: [{ name: 'id', description: 'The computation id' }],
  options: { namespace: namespaceOption },
  examples: ['comp-manager computations show 01JH8ZQ4V3', 'comp-manager computations show 01JH8ZQ4V3 --json'],
  async run(ctx) {
    const c = await ctx.client().computations.get(ctx.positionals[0]!, {
      signal: ctx.signal,
      namespace: ctx.values.namespace as string | undefined,
    })
    if (ctx.json) ctx.printJson(c)
    else ctx.out(detail(c, ctx))
    return EXIT.ok
  },
}

const watch: CommandSpec<Context> = {
  name: 'computations watch',
  summary: 'Follow a computation live until it ends',
  description:
    'Shows a progress bar on a terminal, one line per event otherwise, and one JSON object per line with --json.\n' +
    'Exits 0 when the run finished, 1 when it failed, was lost or deleted, 130 on Ctrl-C.',
  args: [{ name: 'id', description: 'The computation id' }],
  options: { namespace: namespaceOption },
  examples: [
    'comp-manager computations watch 01JH8ZQ4V3',
    'comp-manager computations watch 01JH8ZQ4V3 --json | jq .data.progress',
  ],
  async run(ctx) {
    const { io, paint } = ctx
    const live = io.isTty && !ctx.json
    let last: ComputationSummary | null = null
    let deleted = false
    let drawn = false
    const clear = () => {
      if (drawn) io.stdout.write('\r\u001b[2K')
      drawn = false
    }
    const bar = (c: ComputationSummary) => {
      const fraction = c.status === 'finished' ? 1 : (c.progress?.fraction ?? 0)
      const note = c.progress?.note ?? c.message ?? ''
      return `${paint(statusStyle[c.status], c.status)}${' '.repeat(Math.max(0, 8 - c.status.length))} ${progressBar(fraction)} ${formatPercent(fraction).padStart(4)} ${formatDuration(c.runningTimeMs)}${note ? `  ${note}` : ''}`
    }
    const events = ctx.client().computations.watch(ctx.positionals[0]!, {
      signal: ctx.signal,
      namespace: ctx.values.namespace as string | undefined,
    })
    try {
      for await (const event of events as AsyncGenerator<ComputationEvent>) {
        if (ctx.json) {
          io.stdout.write(`${JSON.stringify(event)}\n`)
          if (event.data) last = event.data
          else deleted = true
          continue
        }
        const c = event.data
        if (c === null) {
          clear()
          ctx.out(paint('yellow', 'the computation was deleted'))
          deleted = true
          break
        }
        if (live) {
          if (last !== null && last.status !== c.status) {
            clear()
            ctx.out(
              `${formatTime(c.updatedAt)} ${paint(statusStyle[last.status], last.status)} → ${paint(statusStyle[c.status], c.status)}`,
            )
          }
          clear()
          io.stdout.write(bar(c))
          drawn = true
          if (event.type === 'end') {
            io.stdout.write('\n')
            drawn = false
            if (c.error) ctx.out(paint('red', `${c.error.name}: ${c.error.message}`))
          }
        } else {
          const fraction = c.progress ? ` ${formatPercent(c.progress.fraction)}` : ''
          const note = c.progress?.note ?? c.message
          ctx.out(`${formatTime(c.updatedAt)} ${event.type} ${c.status}${fraction}${note ? ` ${note}` : ''}`)
          if (event.type === 'end' && c.error) ctx.out(`error: ${c.error.name}: ${c.error.message}`)
        }
        last = c
      }
    } finally {
      // Interrupted or failed mid-stream: keep the last state on screen, and what follows on its own line.
      if (drawn) io.stdout.write('\n')
      drawn = false
    }
    return !deleted && last?.status === 'finished' ? EXIT.ok : EXIT.error
  },
}

const remove: CommandSpec<Context> = {
  name: 'computations delete',
  summary: 'Delete a computation record (admin)',
  args: [{ name: 'id', description: 'The computation id' }],
  options: { namespace: namespaceOption },
  examples: ['comp-manager computations delete 01JH8ZQ4V3'],
  async run(ctx) {
    const id = ctx.positionals[0]!
    await ctx
      .client()
      .computations.delete(id, { signal: ctx.signal, namespace: ctx.values.namespace as string | undefined })
    if (ctx.json) ctx.printJson({ deleted: id })
    else ctx.out(`deleted computation ${id}`)
    return EXIT.ok
  },
}

export const computationCommands = [list, show, watch, remove]
