/** The cache: stats, entries by function/tag/version, invalidation, dropping an entry. */
import type { CacheEntryMeta, CacheStats, InvalidateCache } from '@comp-manager/client'
import { useEffect, useState } from 'preact/hooks'
import { HitRateChart } from './cache-chart.js'
import { handleAuth, useApp } from './context.js'
import { can } from './session.js'
import { bytes, ConfirmButton, duration, Empty, ErrorBox, when } from './ui.js'

function Stats({ stats }: { stats: CacheStats | null }) {
  if (stats === null) return <p class="muted">Loading stats…</p>
  const rate = typeof stats.hitRate === 'number' ? `${(stats.hitRate * 100).toFixed(1)}%` : '—'
  const items: [string, string | number][] = [
    ['entries', stats.entries ?? '—'],
    ['bytes', bytes(stats.bytes)],
    ['hits', stats.hits ?? '—'],
    ['misses', stats.misses ?? '—'],
    ['hit rate', rate],
  ]
  return (
    <dl class="stats" data-testid="cache-stats">
      {items.map(([k, v]) => (
        <div key={k} data-stat={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  )
}

function Invalidate({ onDone }: { onDone(message: string | null, error: unknown): void }) {
  const ctx = useApp()
  const [by, setBy] = useState<'function' | 'tag' | 'version'>('tag')
  const [value, setValue] = useState('')
  if (!can(ctx.session, 'operator')) return null
  const body: InvalidateCache = { [by]: value.trim() } as InvalidateCache
  return (
    <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="invalidate">
      <label>
        Invalidate by
        <select
          name="by"
          value={by}
          onChange={(e) => setBy((e.target as HTMLSelectElement).value as typeof by)}
        >
          <option value="function">function</option>
          <option value="tag">tag</option>
          <option value="version">version</option>
        </select>
      </label>
      <label>
        Value{' '}
        <input name="value" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
      </label>
      <ConfirmButton
        label="Invalidate"
        danger
        question={`Drop every entry with ${by} ${JSON.stringify(value.trim())}?`}
        onConfirm={async () => {
          try {
            const result = await ctx.client.cache.invalidate(body)
            onDone(`${result.deleted} entries invalidated`, null)
          } catch (err) {
            onDone(null, handleAuth(ctx, err))
          }
        }}
      />
    </form>
  )
}

function EntriesTable({
  entries,
  onDone,
}: {
  entries: CacheEntryMeta[]
  onDone(message: string | null, error: unknown): void
}) {
  const ctx = useApp()
  const now = Date.now()
  const done = onDone
  return (
    <table class="list" data-testid="cache-entries">
      <thead>
        <tr>
          <th>Function</th>
          <th>Version</th>
          <th>Tags</th>
          <th>Size</th>
          <th>Hits</th>
          <th class="hide-narrow">Age</th>
          <th class="hide-narrow">Expires</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.key} data-key={e.key}>
            <td>
              {e.function}
              <div class="muted mono small">{e.key.slice(0, 16)}…</div>
            </td>
            <td>{e.version ?? '—'}</td>
            <td>{(e.tags ?? []).join(', ') || '—'}</td>
            <td>{bytes(e.size)}</td>
            <td>{e.hits}</td>
            <td class="hide-narrow">{duration(now - Date.parse(e.createdAt))}</td>
            <td class="hide-narrow">{e.expiresAt ? when(e.expiresAt) : 'never'}</td>
            <td>
              {can(ctx.session, 'operator') ? (
                <ConfirmButton
                  label="Drop"
                  danger
                  question="Drop this entry?"
                  onConfirm={() =>
                    ctx.client.cache.delete(e.key).then(
                      () => done('entry dropped', null),
                      (err) => done(null, handleAuth(ctx, err)),
                    )
                  }
                />
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function CachePage() {
  const ctx = useApp()
  const [stats, setStats] = useState<CacheStats | null>(null)
  const [entries, setEntries] = useState<CacheEntryMeta[] | null>(null)
  const [filter, setFilter] = useState({ function: '', tag: '', version: '' })
  const [error, setError] = useState<unknown>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const [version, setVersion] = useState(0)
  useEffect(() => {
    const query = Object.fromEntries(Object.entries(filter).filter(([, v]) => v.trim() !== ''))
    ctx.client.cache.stats().then(setStats, (err) => setError(handleAuth(ctx, err)))
    ctx.client.cache.list({ per_page: 100, ...query }).then(
      (page) => setEntries(page.data),
      (err) => setError(handleAuth(ctx, err)),
    )
  }, [version, filter])
  useEffect(() => ctx.feed.on((event) => event.type.startsWith('cache.') && setVersion((n) => n + 1)), [])
  const done = (message: string | null, err: unknown) => {
    setNotice(message)
    setError(err)
    setVersion((n) => n + 1)
  }
  return (
    <section>
      <h1>Cache</h1>
      <Stats stats={stats} />
      <HitRateChart onStats={setStats} />
      {notice === null ? null : (
        <p class="notice" role="status" data-testid="cache-notice">
          {notice}
        </p>
      )}
      <ErrorBox error={error} />
      <Invalidate onDone={done} />
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="filter entries">
        {(['function', 'tag', 'version'] as const).map((k) => (
          <label key={k}>
            {k}{' '}
            <input
              name={`filter-${k}`}
              value={filter[k]}
              onChange={(e) => setFilter({ ...filter, [k]: (e.target as HTMLInputElement).value })}
            />
          </label>
        ))}
      </form>
      {entries !== null && entries.length === 0 ? (
        <Empty>
          No cache entry here yet: run a cached function (POST /api/v1/demo/factor) or clear the filters.
        </Empty>
      ) : (
        <EntriesTable entries={entries ?? []} onDone={done} />
      )}
    </section>
  )
}
