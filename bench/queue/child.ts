// A worker process of queue.bench.ts: `node --import tsx queue/child.ts <ours-sqlite|ours-mongo|bullmq> <target> <concurrency>`.
// Reports { type: 'ready' } over IPC, starts on { type: 'go' }, stops on { type: 'stop' }. Each job's
// function returns the time it started (for the submit → start latency).
import type { Store } from '@comp-manager/core'

const [mode, target, concurrencyText] = process.argv.slice(2) as [string, string, string]
// `<kind>-latency`: the latency run, on its own namespace / queue name.
const latency = mode.endsWith('-latency')
const kind = mode.replace(/-latency$/, '')
const name = latency ? 'bench-latency' : 'bench'
const concurrency = Number(concurrencyText)
const send = (message: unknown) => process.send?.(message)

async function ours(): Promise<{ go: () => Promise<void>; stop: () => Promise<void> }> {
  const { createWorker } = await import('@comp-manager/worker')
  let store: Store
  if (kind === 'ours-mongo') {
    const { createMongoStore } = await import('@comp-manager/mongo-store')
    store = await createMongoStore({ url: target })
  } else {
    const { SqliteStore } = await import('@comp-manager/sqlite-store')
    store = new SqliteStore({ path: target })
  }
  const worker = createWorker({
    store,
    namespace: name,
    concurrency,
    functions: { noop: () => Date.now() },
    scheduleIntervalMs: false,
    logger: { error: (_c, m) => send({ type: 'log', m }), warn: () => {} },
  })
  return {
    go: () => worker.start(),
    stop: async () => {
      await worker.close({ timeoutMs: 1000 })
      await store.close()
    },
  }
}

async function bullmq(): Promise<{ go: () => Promise<void>; stop: () => Promise<void> }> {
  const { Worker } = await import('bullmq')
  const [host, port] = target.split(':') as [string, string]
  let worker: InstanceType<typeof Worker> | undefined
  return {
    go: async () => {
      worker = new Worker(name, async () => Date.now(), {
        connection: { host, port: Number(port) },
        concurrency,
        removeOnComplete: { count: 100_000 },
      })
      await worker.waitUntilReady()
    },
    stop: async () => {
      await worker?.close()
    },
  }
}

const runner = kind === 'bullmq' ? await bullmq() : await ours()
process.on('message', async (message: { type: string }) => {
  if (message.type === 'go') {
    await runner.go()
    send({ type: 'going' })
  } else if (message.type === 'stop') {
    await runner.stop()
    send({ type: 'stopped' })
    process.exit(0)
  }
})
send({ type: 'ready' })
