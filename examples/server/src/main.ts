import { ConfigError, loadConfig, type ServerConfig, startServer } from '@comp-manager/server'
import { demoWorkerEnabled, exampleAppOptions, exampleEnv } from './index.js'

const USAGE = `Usage: node dist/main.js [--help]
Starts the comp-manager example server. Configured by environment variables:
  PORT (default 3000; 0: a free port), HOST (default 127.0.0.1; 0.0.0.0 in production),
  COMP_MANAGER_DATA_DIR (SQLite data directory, default ./data),
  NODE_ENV, JWT_SECRET (required in production), API_KEYS, LOG_LEVEL, DASHBOARD_ENABLED (default on);
  DEMO_WORKER=off runs no
  in-process worker (queued jobs wait for HTTP workers).`

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE)
  process.exit(0)
}

let config: ServerConfig
try {
  config = loadConfig(exampleEnv(process.env))
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message)
    process.exit(2)
  }
  throw err
}

const started = await startServer(config, {
  ...exampleAppOptions({ worker: demoWorkerEnabled(process.env) }),
  logger: { level: config.logLevel },
}).catch((err: NodeJS.ErrnoException) => {
  if (err.code !== 'EADDRINUSE') throw err
  console.error(`port ${config.port} on ${config.host} is already in use: set PORT to a free port`)
  process.exit(1)
})
const { app, address } = started

// `0.0.0.0`/`::` are where it listens, not where to browse to.
const url = address.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, '//localhost')
console.log(`comp-manager example server listening on ${address}`)
console.log(`  API docs:  ${url}/docs   (OpenAPI document: ${url}/docs/json)`)
console.log(`  health:    ${url}/health/detailed`)
if (config.dashboard) console.log(`  dashboard: ${url}/dashboard/`)
console.log(`  store:     ${config.store.kind === 'sqlite' ? config.store.path : 'MongoDB'}`)
if (config.auth !== null && config.env !== 'production') {
  const token = app.issueToken(
    { sub: 'developer', role: 'admin', namespaces: ['*'] },
    { expiresIn: '12h', development: true },
  )
  console.log('  development token (admin, all namespaces, 12 h; never printed in production):')
  console.log(`    export TOKEN=${token}`)
  console.log('  try:')
  console.log(
    `    curl -s -X POST ${url}/api/v1/demo/factor -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"n":"147573952589676412927"}'`,
  )
  console.log(
    `    curl -s -X POST ${url}/api/v1/demo/jobs -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"function":"demo.invertHilbert","size":12}'   # queued, run by the worker`,
  )
  console.log(`    curl -s ${url}/api/v1/computations -H "authorization: Bearer $TOKEN"`)
  console.log(`    curl -s ${url}/api/v1/cache -H "authorization: Bearer $TOKEN"`)
}
