// pause / resume of a running job with the built CLI, against a real server; the test is the HTTP
// worker (claim, heartbeat, release with reason pause), so every step is observed as it happens.
import t from 'tap'
import { cleanEnv, runCli, startApi } from './fixtures/server.js'

t.test('pause of a running job is requested, the worker releases it; resume queues it again', async (t) => {
  const api = await startApi(t)
  const env = cleanEnv({ COMP_MANAGER_URL: api.url, COMP_MANAGER_TOKEN: api.tokens.operator })
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${api.tokens.operator}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    // biome-ignore lint/suspicious/noExplicitAny: the test reads the answers loosely
    const answer: any = res.status === 204 ? null : await res.json()
    return { status: res.status, body: answer }
  }

  const submitted = await runCli(['submit', 'resumable', '[7]', '--json'], env)
  t.equal(submitted.code, 0, submitted.stderr)
  const { id } = JSON.parse(submitted.stdout)
  const claimed = await call('POST', '/workers/claim', { workerId: 'cli-test', functions: ['resumable'] })
  t.equal(claimed.status, 200)
  const [job] = claimed.body.jobs
  t.equal(job.id, id)

  const pause = await runCli(['pause', id], env)
  t.equal(pause.code, 0, pause.stderr)
  t.match(pause.stdout, new RegExp(`^${id} is started \\(pause requested, not done`, 'm'))
  const beat = await call('POST', `/computations/${id}/heartbeat`, { leaseToken: job.leaseToken })
  t.equal(beat.body.requested, 'pause', 'the worker is told at its heartbeat')
  const released = await call('POST', `/computations/${id}/release`, {
    leaseToken: job.leaseToken,
    reason: 'pause',
    checkpoint: { step: 3 },
  })
  t.same(released.body, { status: 'paused' })

  const resume = await runCli(['resume', id], env)
  t.equal(resume.code, 0, resume.stderr)
  t.equal(resume.stdout, `${id} is queued\n`)
  t.equal(resume.stderr, '')
  const record = (await call('GET', `/computations/${id}`)).body
  t.match(record, { id, status: 'queued', attempt: 1, worker: null, checkpoint: { step: 3 } })

  // Resuming it again: refused (409), its status printed, exit 1; nothing changed.
  const again = await runCli(['resume', id], env)
  t.equal(again.code, 1)
  t.match(again.stderr, /CM_ERR_CONFLICT/)
  t.match(again.stderr, /queued/)
  t.equal((await call('GET', `/computations/${id}`)).body.status, 'queued')

  // A worker takes it up from its checkpoint; the old lease token holds nothing.
  const next = await call('POST', '/workers/claim', { workerId: 'cli-test-2', functions: ['resumable'] })
  t.match(next.body.jobs, [{ id, checkpoint: { step: 3 } }])
  const stale = await call('POST', `/computations/${id}/heartbeat`, { leaseToken: job.leaseToken })
  t.equal(stale.status, 409)
  t.equal(stale.body.code, 'CM_ERR_LEASE_LOST')

  // The same cycle with --json: the pause answer and the resumed record as JSON.
  const [second] = next.body.jobs
  const asked = await runCli(['pause', id, '--json'], env)
  t.equal(asked.code, 0, asked.stderr)
  t.match(JSON.parse(asked.stdout), { id, status: 'started', outcome: 'pause_requested' })
  await call('POST', `/computations/${id}/release`, {
    leaseToken: second.leaseToken,
    reason: 'pause',
    checkpoint: { step: 5 },
  })
  t.equal((await call('GET', `/computations/${id}`)).body.status, 'paused')
  const resumed = await runCli(['resume', id, '--json'], env)
  t.equal(resumed.code, 0, resumed.stderr)
  t.match(JSON.parse(resumed.stdout), { id, status: 'queued', attempt: 1, checkpoint: { step: 5 } })
})
