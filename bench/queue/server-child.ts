// The server of queue-http.bench.ts, in its own process (as in production: the bench's own polling of the
// file never blocks its event loop): `node --import tsx queue/server-child.ts <dataDir>`. `@comp-manager/
// server`'s buildApp with production settings (auth on, logger off), listening on loopback; reports
// { type: 'ready', url, worker, operator } (a worker and an operator token) and closes on { type: 'stop' }.
import { buildApp, loadConfig } from '@comp-manager/server'

const [dataDir] = process.argv.slice(2) as [string]
const config = loadConfig({
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  JWT_SECRET: 'bench-Q8vN2pLk9RzT4wYb8HmC3jFs6GdA1eU0oIi',
  RATE_LIMIT_MAX: '1000000',
  RATE_LIMIT_WINDOW: '1s',
  LOG_LEVEL: 'silent',
  COMP_MANAGER_DATA_DIR: dataDir,
})
const app = await buildApp(config, { logger: false })
const url = await app.listen({ port: 0, host: '127.0.0.1' })
const token = (role: string, namespaces: string[]) =>
  (app as unknown as { issueToken(c: object, o?: object): string }).issueToken(
    { sub: `bench-${role}`, role, namespaces },
    { expiresIn: '1h' },
  )
process.on('message', async (message: { type: string }) => {
  if (message.type !== 'stop') return
  await app.close()
  process.send?.({ type: 'stopped' })
  process.exit(0)
})
process.send?.({
  type: 'ready',
  url,
  worker: token('worker', ['bench-http', 'bench-http-latency']),
  operator: token('operator', ['bench-http-latency']),
})
