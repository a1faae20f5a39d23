/** One computation: every field, live progress and running time, error and stack, decoded args/result, actions. */
import { type CompManagerClient, type Computation, createClient } from '@comp-manager/client'
import { useEffect, useState } from 'preact/hooks'
import { Attempts } from './attempts.js'
import { type AppContext, handleAuth, useApp } from './context.js'
import { RECONCILE_MS } from './list.js'
import { apiBase, can, type Session } from './session.js'
import { ConfirmButton, duration, ErrorBox, Progress, StatusBadge, when } from './ui.js'
import { Value } from './value.js'

let decoding: Promise<CompManagerClient> | null = null
/** A client decoding with mathjs types registered: loaded on demand, outside the initial bundle. */
function decodingClient(session: Session): Promise<CompManagerClient> {
  decoding ??= Promise.all([import('@comp-manager/codec-math'), import('mathjs')]).then(([cm, mathjs]) =>
    createClient({
      baseUrl: apiBase() || location.origin,
      token: () => session.token,
      decode: true,
      codec: cm.createMathCodec(mathjs.create(mathjs.all as NonNullable<typeof mathjs.all>)),
      ...(session.namespace === null ? {} : { namespace: session.namespace }),
    }),
  )
  return decoding
}

export function resetDecodingClient(): void {
  decoding = null
}

const FIELDS = [
  'id',
  'namespace',
  'name',
  'function',
  'functionFull',
  'hash',
  'attempt',
  'maxAttempts',
  'priority',
  'pid',
  'host',
  'owner',
  'worker',
  'message',
  'createdAt',
  'updatedAt',
  'runAt',
  'startedAt',
  'pausedAt',
  'pauseRequestedAt',
  'finishedAt',
  'heartbeatAt',
  'leaseUntil',
  'schemaVersion',
] as const

function runningTime(c: Computation, now: number): number | null {
  if (c.status === 'started' && typeof c.startedAt === 'string') return now - Date.parse(c.startedAt)
  return c.runningTimeMs ?? null
}

function Actions({
  c,
  ctx,
  onDone,
}: {
  c: Computation
  ctx: AppContext
  onDone(error: unknown, deleted?: boolean): void
}) {
  if (!can(ctx.session, 'operator')) return null
  const act =
    (fn: () => Promise<unknown>, deleted = false) =>
    async () => {
      try {
        await fn()
        onDone(null, deleted)
      } catch (err) {
        onDone(handleAuth(ctx, err))
      }
    }
  const jobs = ctx.client.computations
  return (
    <div class="actions" data-testid="actions">
      {c.status === 'started' ? (
        <ConfirmButton label="Pause" question="Pause this run?" onConfirm={act(() => jobs.pause(c.id))} />
      ) : null}
      {c.status === 'paused' ? (
        <ConfirmButton label="Resume" question="Resume this run?" onConfirm={act(() => jobs.resume(c.id))} />
      ) : null}
      {['queued', 'started', 'paused'].includes(c.status) ? (
        <ConfirmButton
          label="Cancel"
          danger
          question="Cancel this run?"
          onConfirm={act(() => jobs.cancel(c.id, 'cancelled from the dashboard'))}
        />
      ) : null}
      {['failed', 'lost'].includes(c.status) ? (
        <ConfirmButton
          label="Retry"
          question="Queue a new attempt?"
          onConfirm={act(() => jobs.retry(c.id))}
        />
      ) : null}
      {can(ctx.session, 'admin') ? (
        <ConfirmButton
          label="Delete"
          danger
          question="Delete this record for good?"
          onConfirm={act(() => jobs.delete(c.id), true)}
        />
      ) : null}
    </div>
  )
}

function Decoded({ id, status, ctx }: { id: string; status: string; ctx: AppContext }) {
  const [state, setState] = useState<{
    args?: unknown
    result?: unknown
    hasResult: boolean
    error?: unknown
  } | null>(null)
  useEffect(() => {
    let live = true
    void decodingClient(ctx.session).then(async (client) => {
      try {
        const full = await client.computations.get(id)
        const result = status === 'finished' ? await client.computations.result(id) : undefined
        if (live) setState({ args: full.args, result, hasResult: status === 'finished' })
      } catch (error) {
        if (live) setState({ hasResult: false, error: handleAuth(ctx, error) })
      }
    })
    return () => {
      live = false
    }
  }, [id, status])
  if (state === null) return <p class="muted">Decoding…</p>
  return (
    <div class="decoded">
      <ErrorBox error={state.error} />
      <h2>Arguments</h2>
      <div class="value" data-testid="args">
        <Value value={state.args} />
      </div>
      {state.hasResult ? (
        <>
          <h2>Result</h2>
          <div class="value" data-testid="result">
            <Value value={state.result} />
          </div>
        </>
      ) : null}
    </div>
  )
}

function Fields({ c }: { c: Computation }) {
  return (
    <table class="fields">
      <tbody>
        {FIELDS.map((name) => {
          const v = (c as Record<string, unknown>)[name]
          if (v === undefined || v === null) return null
          return (
            <tr key={name}>
              <th>{name}</th>
              <td class="mono">
                {name.endsWith('At') || name.endsWith('Until') ? when(String(v)) : String(v)}
              </td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}

/** The record, kept live: its events, a re-read while it runs, a ticking clock. */
function useComputation(id: string) {
  const ctx = useApp()
  const [c, setC] = useState<Computation | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [now, setNow] = useState(Date.now())
  const [version, setVersion] = useState(0)
  useEffect(() => {
    let live = true
    ctx.client.computations.get(id).then(
      (record) => {
        if (!live) return
        setC(record)
        setError(null)
      },
      (err) => live && setError(handleAuth(ctx, err)),
    )
    return () => {
      live = false
    }
  }, [id, version])
  useEffect(() => {
    const off = ctx.feed.on((event) => {
      if (event.computationId !== id) return
      const progress = event.data.progress as Computation['progress'] | undefined
      if (event.type === 'progress' && progress) setC((old) => (old === null ? old : { ...old, progress }))
      else setVersion((n) => n + 1)
    })
    const tick = setInterval(() => setNow(Date.now()), 1000)
    return () => {
      off()
      clearInterval(tick)
    }
  }, [id])
  // Progress events are coalesced (one a second per run): a running record is read again now and then.
  const running = c?.status === 'started'
  useEffect(() => {
    if (!running) return
    const timer = setInterval(() => setVersion((n) => n + 1), RECONCILE_MS)
    return () => clearInterval(timer)
  }, [running])
  return { ctx, c, error, setError, now, setVersion }
}

export function ComputationPage({ id }: { id: string }) {
  const { ctx, c, error, setError, now, setVersion } = useComputation(id)
  const [deleted, setDeleted] = useState(false)
  if (deleted)
    return (
      <section>
        <h1>Deleted</h1>
        <p>
          The record is gone. <a href="#/computations">Back to the list</a>
        </p>
      </section>
    )
  if (c === null)
    return (
      <section>
        <ErrorBox error={error} />
        {error === null ? <p class="muted">Loading…</p> : <a href="#/computations">Back to the list</a>}
      </section>
    )
  return (
    <section data-testid="computation" data-status={c.status}>
      <p>
        <a href="#/computations">← Computations</a>
      </p>
      <h1>
        {c.function} <StatusBadge status={c.status} />
      </h1>
      <Progress fraction={c.progress?.fraction} note={c.progress?.note} />
      <p>
        Running time: <strong data-testid="running-time">{duration(runningTime(c, now))}</strong>
      </p>
      <ErrorBox error={error} />
      <Actions
        c={c}
        ctx={ctx}
        onDone={(err, gone) => {
          setError(err)
          if (gone) setDeleted(true)
          else setVersion((n) => n + 1)
        }}
      />
      {c.error ? (
        <div class="failure" data-testid="failure">
          <h2>Error</h2>
          <p>
            <strong>{c.error.name}</strong>: {c.error.message}
          </p>
          {c.error.stack ? <pre class="stack">{c.error.stack}</pre> : null}
        </div>
      ) : null}
      <Attempts c={c} />
      <Fields c={c} />
      <Decoded id={c.id} status={c.status} ctx={ctx} />
    </section>
  )
}
