// Compile-time tests: `tsc -p tsconfig.json` (the package's `typecheck`) checks this file, so every
// `@ts-expect-error` below must be an error; tap runs it too. The last test type-checks a consumer of
// the built package (test/fixtures/types), as users compile against dist/*.d.ts.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import t from 'tap'
import {
  type AnyApiError,
  ApiError,
  type CacheEntry,
  type CompManagerClient,
  type Computation,
  type ComputationEvent,
  type ComputationPage,
  type ComputationSummary,
  createClient,
  type ErrorCode,
  isApiError,
} from '../src/index.js'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const assertType = <T extends true>(_: T): void => {}

// Narrowing by code.
function narrowing(err: unknown): void {
  if (isApiError(err, 'CM_ERR_NOT_FOUND')) {
    assertType<Equal<typeof err.code, 'CM_ERR_NOT_FOUND'>>(true)
    assertType<Equal<typeof err.status, number>>(true)
    assertType<Equal<typeof err.requestId, string | undefined>>(true)
    // @ts-expect-error a NOT_FOUND error is never a CONFLICT
    if (err.code === 'CM_ERR_CONFLICT') return
  }
  if (isApiError(err)) {
    assertType<Equal<typeof err, AnyApiError>>(true)
    if (err.code === 'CM_ERR_INVALID_TRANSITION') {
      // Narrowed: the details of a refused transition.
      assertType<Equal<typeof err.details, { from: string; to: string; allowed: string[] }>>(true)
      const allowed: string[] = err.details.allowed
      void allowed
    } else if (err.code === 'CM_ERR_VALIDATION') {
      const path: string | undefined = err.details.issues[0]?.path
      void path
    } else {
      // @ts-expect-error other codes carry free-form (possibly absent) details
      void err.details.allowed
    }
    assertType<Equal<typeof err.code, ErrorCode>>(true)
  }
  // @ts-expect-error not a code of the catalogue
  isApiError(err, 'CM_ERR_NOPE')
  if (err instanceof ApiError) {
    // `instanceof` gives the class (`ApiError<any>`): use `isApiError` for the narrowable union.
    const code: string = err.code
    void code
  }
}

// Requests and answers are typed from the OpenAPI document.
async function requests(client: CompManagerClient): Promise<void> {
  const page: ComputationPage = await client.computations.list({
    status: 'failed',
    per_page: 50,
    sort: '-updatedAt',
  })
  const first: ComputationSummary | undefined = page.data[0]
  assertType<
    Equal<
      NonNullable<typeof first>['status'],
      'queued' | 'started' | 'paused' | 'finished' | 'failed' | 'lost'
    >
  >(true)
  // @ts-expect-error per_page is a number
  await client.computations.list({ per_page: '10' })
  // @ts-expect-error unknown filter: the server refuses unknown query keys
  await client.computations.list({ owner: 'me' })
  // @ts-expect-error `function` is required
  await client.computations.create({ args: [] })
  // @ts-expect-error not a status
  await client.computations.update('id', { status: 'done' })
  // @ts-expect-error a sort order of computations, not of cache entries
  await client.cache.list({ sort: '-hits' }).then(() => client.computations.list({ sort: '-hits' }))
  const entry: CacheEntry = await client.cache.get('key')
  assertType<Equal<typeof entry.tags, string[]>>(true)
  const stats = await client.cache.stats()
  assertType<Equal<typeof stats.entries, number>>(true)
  for await (const event of client.computations.watch('id')) {
    if (event.type === 'end') {
      assertType<Equal<typeof event.data, ComputationSummary | null>>(true)
    } else {
      assertType<Equal<typeof event.data, ComputationSummary>>(true)
      // @ts-expect-error not an event type of the stream
      if (event.type === 'error') return
    }
  }
  assertType<Equal<ComputationEvent['type'], 'status' | 'progress' | 'end'>>(true)
  for await (const c of client.computations.all({ status: 'started' })) {
    assertType<Equal<typeof c, ComputationSummary>>(true)
  }
  // @ts-expect-error `all` walks every page: no `page` filter
  client.computations.all({ page: 2 })
  // @ts-expect-error the raw client knows the routes
  await client.raw.GET('/api/v1/nope')
}

t.test('the type assertions compile (checked by tsc) and run', async (t) => {
  const client = createClient({ baseUrl: 'http://127.0.0.1:1', retries: 0 })
  t.type(narrowing, 'function')
  t.type(requests, 'function')
  t.type(client.computations.list, 'function')
  narrowing(new Error('not an api error'))
})

t.test('a consumer of the built package type-checks (dist/*.d.ts)', async (t) => {
  const root = new URL('..', import.meta.url)
  t.ok(existsSync(new URL('dist/index.d.ts', root)), 'dist is built (`pnpm build` runs before the tests)')
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  try {
    execFileSync(process.execPath, [tsc, '-p', 'test/fixtures/types/tsconfig.json'], {
      cwd: root,
      encoding: 'utf8',
    })
    t.pass('tsc -p test/fixtures/types/tsconfig.json passes')
  } catch (err) {
    t.fail(`tsc failed:\n${(err as { stdout?: string }).stdout ?? String(err)}`)
  }
})
