import type { CacheEntryMeta, CacheFilters, InvalidateCache } from '@comp-manager/client'
import type { Context } from '../context.js'
import { EXIT, UsageError } from '../errors.js'
import { type Column, formatBytes, formatTime, keyValues, table } from '../output.js'
import type { CommandSpec } from '../spec.js'
import { showEncoded } from './computations.js'
import { namespaceOption, pagingOptions, runListing } from './listing.js'

const sorts = ['createdAt', '-createdAt', 'hits', '-hits', 'size', '-size'] as const

const columns: Column<CacheEntryMeta>[] = [
  { header: 'KEY', value: (e) => e.key, max: 16 },
  { header: 'FUNCTION', value: (e) => e.function, max: 32 },
  { header: 'VERSION', value: (e) => e.version ?? '-' },
  { header: 'SIZE', value: (e) => formatBytes(e.size), align: 'right' },
  { header: 'HITS', value: (e) => String(e.hits), align: 'right' },
  { header: 'CREATED', value: (e) => formatTime(e.createdAt) },
  {
    header: 'EXPIRES',
    value: (e) => formatTime(e.expiresAt),
    style: (e) => (e.expiresAt === null ? 'dim' : undefined),
  },
  { header: 'TAGS', value: (e) => e.tags.join(','), max: 32 },
]

const list: CommandSpec<Context> = {
  name: 'cache list',
  summary: 'List cache entries (metadata, without values), newest first',
  args: [],
  options: {
    function: { type: 'string', short: 'f', value: 'name', description: 'Only entries of this function' },
    tag: { type: 'string', short: 't', value: 'tag', description: 'Only entries carrying this tag' },
    version: { type: 'string', value: 'version', description: 'Only entries of this version' },
    ...pagingOptions(sorts),
  },
  examples: [
    'comp-manager cache list',
    'comp-manager cache list --function factor --sort=-hits',
    'comp-manager cache list --all --json',
  ],
  async run(ctx) {
    const { values } = ctx
    const name = this.name
    const filters: CacheFilters = {}
    if (values.function !== undefined) filters.function = values.function as string
    if (values.tag !== undefined) filters.tag = values.tag as string
    if (values.version !== undefined) filters.version = values.version as string
    return runListing(ctx, name, filters, {
      sorts,
      columns,
      none: 'no cache entries',
      noun: 'entries',
      all: (f, call) => ctx.client().cache.all(f, call),
      list: (f, call) => ctx.client().cache.list(f, call),
    })
  },
}

const show: CommandSpec<Context> = {
  name: 'cache show',
  summary: 'Show one cache entry with its value',
  args: [{ name: 'key', description: 'The entry key' }],
  options: { namespace: namespaceOption },
  examples: ['comp-manager cache show 3f2a9c…', 'comp-manager cache show 3f2a9c… --json | jq .value'],
  async run(ctx) {
    const e = await ctx.client().cache.get(ctx.positionals[0]!, {
      signal: ctx.signal,
      namespace: ctx.values.namespace as string | undefined,
    })
    if (ctx.json) {
      ctx.printJson(e)
      return EXIT.ok
    }
    const color = ctx.io.color
    ctx.out(
      keyValues(
        [
          ['key', e.key],
          ['namespace', e.namespace],
          ['function', e.function === e.functionFull ? e.function : `${e.function} (${e.functionFull})`],
          ['version', e.version ?? '-'],
          ['args', showEncoded(e.args, color)],
          ['value', showEncoded(e.value, color)],
          ['size', formatBytes(e.size)],
          ['tags', e.tags.join(', ') || '-'],
          ['hits', `${e.hits}${e.lastHitAt ? ` (last ${formatTime(e.lastHitAt)})` : ''}`],
          ['created', formatTime(e.createdAt)],
          ['expires', e.expiresAt === null ? 'never' : formatTime(e.expiresAt)],
        ],
        ctx.paint,
      ),
    )
    return EXIT.ok
  },
}

const stats: CommandSpec<Context> = {
  name: 'cache stats',
  summary: 'Hits, misses, hit rate, entries and bytes',
  args: [],
  options: { namespace: namespaceOption },
  examples: ['comp-manager cache stats', 'comp-manager cache stats --json | jq .hitRate'],
  async run(ctx) {
    const s = await ctx
      .client()
      .cache.stats({ signal: ctx.signal, namespace: ctx.values.namespace as string | undefined })
    if (ctx.json) {
      ctx.printJson(s)
      return EXIT.ok
    }
    const n = (v: number | null) => (v === null ? '-' : String(v))
    const lines: Array<[string, string]> = [
      ['entries', String(s.entries)],
      ['bytes', formatBytes(s.bytes)],
    ]
    if (s.namespace !== null) {
      lines.push(
        ['server cache', s.namespace],
        ['hits', n(s.hits)],
        ['misses', n(s.misses)],
        ['stale hits', n(s.staleHits)],
        ['dedupes', n(s.dedupes)],
        ['hit rate', s.hitRate === null ? '-' : `${(s.hitRate * 100).toFixed(1)}%`],
      )
    }
    let text = keyValues(lines, ctx.paint)
    if (s.namespaces.length > 0) {
      text += `\n${table(
        s.namespaces,
        [
          { header: 'NAMESPACE', value: (r) => r.namespace },
          { header: 'ENTRIES', value: (r) => String(r.entries), align: 'right' },
          { header: 'BYTES', value: (r) => formatBytes(r.bytes), align: 'right' },
        ],
        ctx.paint,
      )}`
    }
    ctx.out(text)
    return EXIT.ok
  },
}

const invalidate: CommandSpec<Context> = {
  name: 'cache invalidate',
  summary: 'Drop cache entries by function, tag or version (ANDed), or all of a namespace (operator)',
  args: [],
  options: {
    function: { type: 'string', short: 'f', value: 'name', description: 'Entries of this function' },
    tag: { type: 'string', short: 't', value: 'tag', description: 'Entries carrying this tag' },
    version: { type: 'string', value: 'version', description: 'Entries of this version' },
    all: { type: 'boolean', short: 'a', description: 'Every entry of the namespace (alone)' },
    namespace: namespaceOption,
  },
  examples: [
    'comp-manager cache invalidate --function factor',
    'comp-manager cache invalidate --tag reports --version 2',
    'comp-manager cache invalidate --all --namespace scratch',
  ],
  async run(ctx) {
    const { values } = ctx
    const body: InvalidateCache = {}
    if (values.function !== undefined) body.function = values.function as string
    if (values.tag !== undefined) body.tag = values.tag as string
    if (values.version !== undefined) body.version = values.version as string
    const criteria = Object.keys(body).length
    if (values.all) {
      if (criteria > 0)
        throw new UsageError('--all cannot be combined with --function, --tag or --version', this.name)
      body.all = true
    } else if (criteria === 0) {
      throw new UsageError('say what to invalidate: --function, --tag, --version, or --all', this.name)
    }
    if (values.namespace !== undefined) body.namespace = values.namespace as string
    const result = await ctx.client().cache.invalidate(body, { signal: ctx.signal })
    if (ctx.json) ctx.printJson(result)
    else
      ctx.out(
        `invalidated ${result.deleted} ${result.deleted === 1 ? 'entry' : 'entries'} in ${result.namespace}`,
      )
    return EXIT.ok
  },
}

export const cacheCommands = [list, show, stats, invalidate]
