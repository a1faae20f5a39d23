// Decoding budgets of the codec over HTTP (issue 13): a size limit is 413 CM_ERR_TOO_LARGE, a shape limit
// 400 CM_ERR_TOO_COMPLEX, and nothing is written either way.
import { Codec } from '@comp-manager/core'
import t from 'tap'
import { buildMemory, expectError } from './fixtures/helpers.js'

const post = (args: unknown) => ({
  method: 'POST' as const,
  url: '/computations',
  payload: { function: 'f', args },
})

t.test('default codec: a 1,000,000-digit BigInt is 413 CM_ERR_TOO_LARGE, nothing written', async (t) => {
  const { app, store } = await buildMemory(t, { server: { bodyLimit: 2 * 1024 * 1024 } })
  const res = await app.inject(post([{ __type__: 'bigint', value: '1'.repeat(1_000_000) }]))
  const body = expectError(t, res, 413, 'CM_ERR_TOO_LARGE')
  t.match(body.message, /maxBigIntDigits/)
  t.equal((await store.computations.list({ namespace: 'default' })).total, 0, 'nothing written')
  const ok = await app.inject(post([{ __type__: 'bigint', value: '1'.repeat(10_000) }]))
  t.equal(ok.statusCode, 201, 'a BigInt at the limit is accepted')
})

t.test('a stricter codec: every limit maps to its status and code', async (t) => {
  const codec = new Codec({ maxStringLength: 10, maxBinaryBytes: 4, maxEntries: 5, maxNodes: 8 })
  const { app, store } = await buildMemory(t, { tracker: { codec } })
  const cases: [string, unknown, number, string][] = [
    ['string', ['x'.repeat(11)], 413, 'CM_ERR_TOO_LARGE'],
    ['binary', [{ __type__: 'Uint8Array', base64: 'AAAAAAAA' }], 413, 'CM_ERR_TOO_LARGE'],
    ['entries', [1, 2, 3, 4, 5, 6], 400, 'CM_ERR_TOO_COMPLEX'],
    [
      'nodes',
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      400,
      'CM_ERR_TOO_COMPLEX',
    ],
    [
      'Map entries',
      [
        {
          __type__: 'Map',
          entries: [
            [1, 1],
            [2, 2],
            [3, 3],
          ],
        },
      ],
      400,
      'CM_ERR_TOO_COMPLEX',
    ],
  ]
  for (const [name, args, status, code] of cases) {
    t.test(name, async (t) => {
      expectError(t, await app.inject(post(args)), status, code)
    })
  }
  t.equal((await store.computations.list({ namespace: 'default' })).total, 0, 'nothing written')
  t.equal((await app.inject(post([1, 2, 'short']))).statusCode, 201, 'within budget: 201')
})
