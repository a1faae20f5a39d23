// At-least-once delivery from the event log: a receiver failing 3 times then recovering gets every
// event, exactly once by webhook-id, with valid Standard Webhooks signatures; a restart mid-way loses
// nothing; a hanging receiver does not hold the others back.
import { join } from 'node:path'
import type { Store } from '@comp-manager/core'
import t from 'tap'
import { verify } from '../src/index.js'
import { build, FAST, queue, receiver, settled, subscribe } from './fixtures/helpers.js'

const distinct = (list: { id: string; answered: number }[]) =>
  new Set(list.filter((r) => r.answered === 200).map((r) => r.id))

t.test('fails 3 times then recovers: every event once by webhook-id, signatures valid', async (t) => {
  const hook = await receiver(t, (n) => (n < 3 ? 500 : 200))
  const app = await build(t)
  const store = app.compStore as Store
  const sub = await subscribe(app, { url: hook.url, types: ['queued'] })
  await queue(store, 10)
  await hook.until(() => distinct(hook.received).size === 10)
  await settled(app, sub.id, (b) => b.delivery.delivered === 10)
  const events = await store.events!.read({ namespace: 'default', types: ['queued'] })
  t.equal(events.length, 10)
  t.same(
    [...distinct(hook.received)].sort(),
    events.map((e) => `msg_${sub.id}_${e.sequence}`).sort(),
    'one webhook-id per event',
  )
  t.same(
    hook.received.slice(0, 4).map((r) => [r.id, r.answered]),
    [0, 1, 2, 3].map((i) => [`msg_${sub.id}_${events[0]!.sequence}`, i < 3 ? 500 : 200]),
    'the first event was retried with the same id until it got through',
  )
  const ok = hook.received.filter((r) => r.answered === 200)
  t.equal(ok.length, 10, 'no event was delivered twice after it succeeded')
  t.ok(
    hook.received.every((r) =>
      verify(
        sub.secret,
        { 'webhook-id': r.id, 'webhook-timestamp': r.timestamp, 'webhook-signature': r.signature },
        r.body,
      ),
    ),
    'every request is signed with the secret',
  )
  t.notOk(
    verify(
      sub.secret,
      {
        'webhook-id': ok[0]!.id,
        'webhook-timestamp': ok[0]!.timestamp,
        'webhook-signature': ok[0]!.signature,
      },
      `${ok[0]!.body} `,
    ),
    'a changed body does not verify',
  )
  const bodies = ok.map((r) => JSON.parse(r.body))
  t.same(
    bodies.map((b) => b.data.sequence),
    events.map((e) => e.sequence),
    'in sequence order',
  )
  t.match(bodies[0], {
    type: 'queued',
    timestamp: String,
    data: { namespace: 'default', function: 'job', status: 'queued' },
  })
  const log = (await app.inject(`/webhooks/${sub.id}/deliveries`)).json().data
  t.equal(log.length, 13, '13 attempts logged')
  t.match(log.at(-1), { ok: false, status: 500, attempt: 1, sequence: events[0]!.sequence })
  t.match(log.at(-4), { ok: true, status: 200, attempt: 4 })
  const state = (await app.inject(`/webhooks/${sub.id}`)).json()
  t.match(state.delivery, {
    cursor: events.at(-1)!.sequence,
    delivered: 10,
    failed: 3,
    failuresInARow: 0,
    attempt: 0,
  })
})

t.test('a restart mid-way loses nothing: the cursor and attempts are in the store', async (t) => {
  const path = join(t.testdir(), 'restart.db')
  let down = true
  const hook = await receiver(t, () => (down ? 503 : 200))
  const first = await build(t, { path })
  const sub = await subscribe(first, { url: hook.url, types: ['queued'] })
  await queue(first.compStore as Store, 5)
  await hook.until(() => hook.received.length >= 2)
  await first.close()
  const failedBefore = hook.received.length
  // Events while no server delivers, then a new server on the same file, and the receiver comes back.
  const second = await build(t, { path })
  await queue(second.compStore as Store, 5)
  const before = (await second.inject(`/webhooks/${sub.id}`)).json()
  t.ok(failedBefore >= 2, 'the receiver refused some attempts before the restart')
  t.ok(before.delivery.failed >= 1, 'the failed attempts survived the restart')
  t.equal(before.delivery.delivered, 0, 'nothing delivered yet')
  down = false
  await hook.until(() => distinct(hook.received).size === 10)
  const events = await (second.compStore as Store).events!.read({ namespace: 'default', types: ['queued'] })
  t.same([...distinct(hook.received)].sort(), events.map((e) => `msg_${sub.id}_${e.sequence}`).sort())
  t.equal(hook.received.filter((r) => r.answered === 200).length, 10, 'each delivered once')
})

t.test('a hanging receiver does not block the other subscriptions', async (t) => {
  const stuck = await receiver(t, () => 'hang')
  const fine = await receiver(t, () => 200)
  const app = await build(t, { webhooks: { ...FAST, timeoutMs: 60_000 } })
  const store = app.compStore as Store
  await subscribe(app, { url: stuck.url, types: ['queued'] })
  await subscribe(app, { url: fine.url, types: ['queued'] })
  await queue(store, 5)
  await fine.until(() => distinct(fine.received).size === 5)
  t.equal(stuck.received.length, 1, 'the hanging one got its first message and holds it')
  t.pass('the other subscription got all 5 while the first hangs')
})

t.test('a timeout fails the attempt and it is retried', async (t) => {
  const hook = await receiver(t, (n) => (n === 0 ? 'hang' : 200))
  const app = await build(t, { webhooks: { ...FAST, timeoutMs: 300 } })
  const sub = await subscribe(app, { url: hook.url, types: ['queued'] })
  await queue(app.compStore as Store, 1)
  await hook.until(() => distinct(hook.received).size === 1)
  await settled(app, sub.id, (b) => b.delivery.delivered === 1)
  const log = (await app.inject(`/webhooks/${sub.id}/deliveries`)).json().data
  t.match(log.at(-1), { ok: false, status: null, error: /no answer within 300 ms/ })
  t.match(log[0], { ok: true, attempt: 2 })
})

t.test('repeated failures disable the subscription; enabling resumes from the cursor', async (t) => {
  let down = true
  const hook = await receiver(t, () => (down ? 500 : 200))
  const app = await build(t, { webhooks: { ...FAST, disableAfterFailures: 3 } })
  const sub = await subscribe(app, { url: hook.url, types: ['queued'] })
  await queue(app.compStore as Store, 2)
  await hook.until(() => hook.received.length >= 3)
  let state = (await app.inject(`/webhooks/${sub.id}`)).json()
  for (let i = 0; i < 100 && state.enabled; i++) {
    await new Promise((r) => setTimeout(r, 20))
    state = (await app.inject(`/webhooks/${sub.id}`)).json()
  }
  t.match(state, { enabled: false, disabledReason: /after 3 failed deliveries/ })
  t.equal(hook.received.length, 3, 'no attempt after disabling')
  down = false
  const res = await app.inject({ method: 'PATCH', url: `/webhooks/${sub.id}`, payload: { enabled: true } })
  t.match(res.json(), { enabled: true, disabledReason: null, delivery: { failuresInARow: 0 } })
  await hook.until(() => distinct(hook.received).size === 2)
  t.pass('both events delivered after re-enabling')
})
