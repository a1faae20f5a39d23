import { buildServer } from './index.js'

function portFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return 3000
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(value)}`)
    process.exit(2)
  }
  return port
}

const port = portFromEnv(process.env.PORT)
const host = process.env.HOST ?? '127.0.0.1'

const app = await buildServer({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })
const address = await app.listen({ port, host })
console.log(`comp-manager example server listening on ${address}`)
console.log(`  health: ${address}/health`)

let closing = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'error while closing')
        process.exit(1)
      },
    )
  })
}
