// An HTTP worker process of queue-http.bench.ts: `node --import tsx queue/http-child.ts <mode> <baseUrl>
// <token> <concurrency>`, `mode` = `throughput` or `latency`. It reaches the fleet only over HTTP, with
// `createHttpWorker` of @comp-manager/client (claims with long-poll, completes; what `comp-manager worker`
// runs). Reports { type: 'ready' } over IPC, starts on { type: 'go' }, stops on { type: 'stop' }. In
// `latency` mode each job reports { type: 'claimed', id, at } the moment its claim answered (its function
// is called right after the claim's answer is decoded).
import { createHttpWorker, type HttpJobContext } from '@comp-manager/client'

const [mode, baseUrl, token, concurrencyText] = process.argv.slice(2) as [string, string, string, string]
const send = (message: unknown) => process.send?.(message)
const latency = mode === 'latency'

const worker = createHttpWorker({
  baseUrl,
  token,
  workerId: `bench-${mode}-${process.pid}`,
  concurrency: Number(concurrencyText),
  // An idle worker sits in a long-poll: the latency run measures how fast it answers.
  waitMs: latency ? 30_000 : 2_000,
  functions: {
    noop: (_i: unknown, ctx: HttpJobContext) => {
      if (latency) send({ type: 'claimed', id: ctx.id, at: Date.now() })
      return 1
    },
  },
  onError: (err) => send({ type: 'log', m: String(err) }),
})

process.on('message', async (message: { type: string }) => {
  if (message.type === 'go') {
    worker.start()
    send({ type: 'going' })
  } else if (message.type === 'stop') {
    await worker.stop({ timeoutMs: 1000 })
    send({ type: 'stopped' })
    process.exit(0)
  }
})
send({ type: 'ready' })
