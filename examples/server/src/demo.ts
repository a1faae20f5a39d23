/**
 * The two demo functions of the example server, and the routes that trigger them.
 *
 * Each function is **tracked** (`fastify.tracker.track`: a computation record with progress, visible at
 * `/api/v1/computations`, live at `/api/v1/computations/:id/events`) and **cached**
 * (`fastify.cache.wrap`: the result is stored in the same SQLite file, so the second call with the same
 * arguments is served from `/api/v1/cache` without running again, in any process sharing the file).
 * A miss therefore records two runs: the cache's fill (`factor`, `hilbert`) and the tracked
 * computation inside it (`factorize`, `invertHilbert`).
 */
import { registerMathTypes } from '@comp-manager/codec-math'
import type { RunContext } from '@comp-manager/core'
import { protect, useRouteKit } from '@comp-manager/fastify-kit'
import { cacheOf } from '@comp-manager/server'
import type { FastifyInstance } from 'fastify'
import { all, create, type Fraction, type Matrix } from 'mathjs'
import { Type } from 'typebox'

/** The mathjs instance of the demo; its Fraction and Matrix types are registered on core's default codec. */
export const math = create(all!)
registerMathTypes(math)

/** Largest number `POST /demo/factor` accepts: 10^24 (deterministic Miller–Rabin holds below 3.3·10^24). */
export const MAX_FACTOR_INPUT = 10n ** 24n
/** Largest Hilbert matrix `POST /demo/matrix` inverts. */
export const MAX_MATRIX_SIZE = 16

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n
  let b = base % modulus
  let e = exponent
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus
    b = (b * b) % modulus
    e >>= 1n
  }
  return result
}

const WITNESSES = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n]

/** Miller–Rabin with the first 13 primes as witnesses: exact for n < 3.3·10^24. */
export function isPrime(n: bigint): boolean {
  if (n < 2n) return false
  for (const p of WITNESSES) {
    if (n === p) return true
    if (n % p === 0n) return false
  }
  let d = n - 1n
  let s = 0
  while ((d & 1n) === 0n) {
    d >>= 1n
    s++
  }
  outer: for (const a of WITNESSES) {
    let x = modPow(a, d, n)
    if (x === 1n || x === n - 1n) continue
    for (let r = 1; r < s; r++) {
      x = (x * x) % n
      if (x === n - 1n) continue outer
    }
    return false
  }
  return true
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a
  let y = b < 0n ? -b : b
  while (y !== 0n) [x, y] = [y, x % y]
  return x
}

/** A non-trivial factor of the composite `n` (Pollard–Brent), yielding to the event loop as it goes. */
async function pollardBrent(n: bigint, signal: AbortSignal | undefined): Promise<bigint> {
  if (n % 2n === 0n) return 2n
  for (let c = 1n; ; c++) {
    let y = 2n
    let x = y
    let g = 1n
    let q = 1n
    let ys = y
    let r = 1
    const m = 128
    let steps = 0
    const f = (v: bigint) => (v * v + c) % n
    while (g === 1n) {
      x = y
      for (let i = 0; i < r; i++) y = f(y)
      let k = 0
      while (k < r && g === 1n) {
        ys = y
        for (let i = 0; i < Math.min(m, r - k); i++) {
          y = f(y)
          q = (q * (x > y ? x - y : y - x)) % n
        }
        g = gcd(q, n)
        k += m
        steps += m
        if (steps % 4096 === 0) {
          // Let heartbeats, pause/cancel and other requests through.
          await yieldToLoop()
          signal?.throwIfAborted()
        }
      }
      r *= 2
    }
    if (g === n) {
      do {
        ys = f(ys)
        g = gcd(x > ys ? x - ys : ys - x, n)
      } while (g === 1n)
    }
    if (g !== n) return g
  }
}

/**
 * The prime factors of `n` (ascending, with multiplicity), exactly, as BigInts: trial division by small
 * primes, then Pollard–Brent with Miller–Rabin. Reports progress as the share of `n`'s bits factored.
 */
export async function factorize(n: bigint, ctx?: RunContext): Promise<bigint[]> {
  if (n < 1n || n > MAX_FACTOR_INPUT) throw new RangeError(`n must be from 1 to 10^24 (got ${n})`)
  const bits = n.toString(2).length
  const factors: bigint[] = []
  let rest = n
  const report = () => {
    const done = bits - (rest === 1n ? 0 : rest.toString(2).length)
    ctx?.progress(rest === 1n ? 1 : done / bits, `${factors.length} prime factor(s) found`)
  }
  for (let p = 2n; p < 10_000n && p * p <= rest; p += p === 2n ? 1n : 2n) {
    while (rest % p === 0n) {
      factors.push(p)
      rest /= p
    }
  }
  report()
  const stack = rest > 1n ? [rest] : []
  while (stack.length > 0) {
    const m = stack.pop()!
    if (isPrime(m)) {
      factors.push(m)
      rest /= m
      report()
      continue
    }
    const d = await pollardBrent(m, ctx?.signal)
    stack.push(d, m / d)
  }
  return factors.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

/** The exact inverse and determinant of the `size × size` Hilbert matrix `1 / (i + j + 1)`, as Fractions. */
export async function invertHilbert(
  size: number,
  ctx?: RunContext,
): Promise<{ size: number; determinant: Fraction; inverse: Matrix }> {
  if (!Number.isInteger(size) || size < 1 || size > MAX_MATRIX_SIZE) {
    throw new RangeError(`size must be an integer from 1 to ${MAX_MATRIX_SIZE} (got ${size})`)
  }
  const hilbert = math.matrix(
    Array.from({ length: size }, (_, i) =>
      Array.from({ length: size }, (_, j) => math.fraction(1, i + j + 1)),
    ),
  )
  ctx?.progress(0.1, 'Hilbert matrix built')
  await yieldToLoop()
  const inverse = math.inv(hilbert) as Matrix
  ctx?.progress(0.6, 'inverted')
  await yieldToLoop()
  const determinant = math.det(hilbert) as unknown as Fraction
  ctx?.progress(1, 'determinant computed')
  return { size, determinant, inverse }
}

/** `a/b` (or `a` when the denominator is 1) of a mathjs Fraction. */
export const ratio = (f: Fraction): string => math.format(f, { fraction: 'ratio' }).replace(/\/1$/, '')

// ── routes ────────────────────────────────────────────────────────────────────────────────────────

const FactorBody = Type.Object(
  {
    n: Type.String({
      pattern: '^[1-9][0-9]{0,24}$',
      description:
        'A whole number from 1 to 10^24, in decimal (a string: JSON numbers lose digits past 2^53)',
      examples: ['147573952589676412927'],
    }),
  },
  { additionalProperties: false },
)
const FactorResponse = Type.Object(
  {
    n: Type.String(),
    factors: Type.Array(Type.String(), { description: 'Prime factors, ascending, with multiplicity' }),
    cached: Type.Boolean({ description: 'Served from the cache (computed earlier, by any process)' }),
    ms: Type.Number({ description: 'Time this request took' }),
  },
  { additionalProperties: false },
)
const MatrixBody = Type.Object(
  {
    size: Type.Integer({
      minimum: 1,
      maximum: MAX_MATRIX_SIZE,
      description: 'Order of the Hilbert matrix',
      examples: [8],
    }),
  },
  { additionalProperties: false },
)
const MatrixResponse = Type.Object(
  {
    size: Type.Integer(),
    determinant: Type.String({ description: 'Exact, as `numerator/denominator`' }),
    inverse: Type.Array(Type.Array(Type.String()), { description: 'Exact integer entries of the inverse' }),
    cached: Type.Boolean(),
    ms: Type.Number(),
  },
  { additionalProperties: false },
)
const errorSchema = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String(),
    error: Type.String(),
    message: Type.String(),
    requestId: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { description: 'The error body of every non-2xx response' },
)
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 429: errorSchema }

/** The OpenAPI tag of the demo routes. */
export const demoTag = {
  name: 'demo',
  description: 'Two tracked and cached demo computations: watch them in /computations and /cache',
}

/**
 * `POST /demo/factor` and `POST /demo/matrix` (under `/api/v1` in the example server): run the demo
 * functions through `fastify.cache` and `fastify.tracker`. Operator role when auth is on.
 */
export async function demoRoutes(api: FastifyInstance): Promise<void> {
  await api.register(async (demo) => {
    // At the API root, which fastify-worker's routes share: the server's own not-found handler answers there.
    useRouteKit(demo, { notFound: false })
    const cache = cacheOf(demo)
    const { tracker } = demo
    const factor = cache.wrap('factor', tracker.track('factorize', factorize, { context: true }), {
      ttl: '1d',
      tags: ['demo'],
      storeArgs: true,
    })
    const hilbert = cache.wrap('hilbert', tracker.track('invertHilbert', invertHilbert, { context: true }), {
      ttl: '1d',
      tags: ['demo'],
      storeArgs: true,
    })
    const cachedBefore = async (name: string, args: unknown[]) => cache.has(cache.explain(name, args).key)

    demo.post(
      '/demo/factor',
      {
        preHandler: protect(demo, 'operator'),
        schema: {
          tags: ['demo'],
          summary: 'Factorize a big integer (tracked and cached)',
          description:
            'Exact prime factorization of n ≤ 10^24 with BigInts (Pollard–Brent, Miller–Rabin). The first call ' +
            'computes and records runs `factor` (the cache fill) and `factorize` (with progress); the next one ' +
            'with the same n is a cache hit.',
          body: FactorBody,
          response: { 200: FactorResponse, ...errors },
        },
      },
      async (request) => {
        const started = performance.now()
        const n = BigInt((request.body as { n: string }).n)
        if (n > MAX_FACTOR_INPUT) {
          throw Object.assign(new Error('n must be at most 10^24'), {
            statusCode: 400,
            code: 'CM_ERR_VALIDATION',
          })
        }
        const cached = await cachedBefore('factor', [n])
        const factors = await factor(n)
        return { n: n.toString(), factors: factors.map(String), cached, ms: performance.now() - started }
      },
    )

    demo.post(
      '/demo/matrix',
      {
        preHandler: protect(demo, 'operator'),
        schema: {
          tags: ['demo'],
          summary: 'Invert a Hilbert matrix exactly (tracked and cached)',
          description:
            'Inverse and determinant of the size × size Hilbert matrix in exact Fractions (mathjs); the result ' +
            'is cached through `@comp-manager/codec-math`, so it comes back as Fractions, not floats.',
          body: MatrixBody,
          response: { 200: MatrixResponse, ...errors },
        },
      },
      async (request) => {
        const started = performance.now()
        const { size } = request.body as { size: number }
        const cached = await cachedBefore('hilbert', [size])
        const result = await hilbert(size)
        return {
          size,
          determinant: ratio(result.determinant),
          inverse: (result.inverse.toArray() as Fraction[][]).map((row) => row.map(ratio)),
          cached,
          ms: performance.now() - started,
        }
      },
    )
  })
}
