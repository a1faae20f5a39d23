import { buildHostApp } from './index.js'

const adminToken = process.env.ADMIN_TOKEN
if (adminToken === undefined || adminToken.length < 16) {
  console.error(
    'ADMIN_TOKEN must be set (at least 16 characters): it guards /admin/*, the cache routes included',
  )
  process.exit(2)
}
const app = await buildHostApp({
  adminToken,
  dataDir: process.env.COMP_MANAGER_DATA_DIR ?? './data',
  logger: { level: process.env.LOG_LEVEL ?? 'info' },
})
const address = await app.listen({
  port: Number(process.env.PORT ?? 3001),
  host: process.env.HOST ?? '127.0.0.1',
})
console.log(`host app listening on ${address}`)
console.log(`  curl ${address}/products/A-1/price   # twice: computed, then cached`)
console.log(`  curl ${address}/admin/cache -H "x-admin-token: $ADMIN_TOKEN"`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  })
}
