import autocannon from 'autocannon'

/** The load mix: reads and cached-function triggers with repeating inputs (most hit the cache). */
export const FACTOR_INPUTS = [
  '600851475143',
  '1000000016000000063',
  '999999000001',
  '123456789012',
  '2305843009213693951',
  '97',
  '65536',
  '1234567891011',
  '9007199254740993',
  '18446744073709551617',
]

export function loadRequests(token: string): autocannon.Request[] {
  let f = 0
  let m = 0
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  return [
    { method: 'GET', path: '/health' },
    { method: 'GET', path: '/api/v1/computations?per_page=5', headers: auth },
    { method: 'GET', path: '/api/v1/cache/stats', headers: auth },
    {
      method: 'POST',
      path: '/api/v1/demo/factor',
      headers: auth,
      setupRequest: (req) => ({
        ...req,
        body: JSON.stringify({ n: FACTOR_INPUTS[f++ % FACTOR_INPUTS.length] }),
      }),
    },
    {
      method: 'POST',
      path: '/api/v1/demo/matrix',
      headers: auth,
      setupRequest: (req) => ({ ...req, body: JSON.stringify({ size: 2 + (m++ % 6) }) }),
    },
  ]
}

export function runLoad(
  url: string,
  token: string,
  durationSec: number,
  connections = 50,
): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections,
    duration: durationSec,
    requests: loadRequests(token),
    timeout: 30,
  })
}
