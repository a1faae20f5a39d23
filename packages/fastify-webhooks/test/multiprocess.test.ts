// Two real processes, each with its own webhook dispatcher loop, on one SQLite file: one subscription
// (to a local receiver), events made by both processes; every event is received exactly once by
// webhook-id, with a valid signature, and none is missing once both have drained.
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { SqliteStore } from '@comp-manager/sqlite-store'
import t from 'tap'
import { verify } from '../src/index.js'
import { ask, forkFixture, nextMessage } from './fixtures/children.js'
import { receiver } from './fixtures/helpers.js'

const M = 40

interface State {
  type: 'state'
  sent: number
  body: { enabled: boolean; delivery: { cursor: number; delivered: number; failed: number } }
}

async function peer(t: Parameters<typeof forkFixture>[0], path: string): Promise<ChildProcess> {
  const child = forkFixture(t, './dispatcher-peer.ts', [path])
  await nextMessage(child, 'ready')
  return child
}

t.test('two dispatchers in two processes on one store deliver each event once', async (t) => {
  const path = join(t.testdir(), 'fleet.db')
  await new SqliteStore({ path }).close() // created and migrated once, before the children race to it
  const hook = await receiver(t, () => 200)
  const [a, b] = [await peer(t, path), await peer(t, path)]
  const sub = await ask<{ type: 'subscribed'; id: string; secret: string }>(
    a,
    { type: 'subscribe', url: hook.url },
    'subscribed',
  )
  const ids = (list: typeof hook.received) => new Set(list.map((r) => r.id))
  // Rounds of 2 events, made by each process in turn; each round, once both dispatchers' polls see it,
  // is a fresh race for the subscription's lease (the holder drains the round, then releases).
  for (let round = 0; round < M / 2; round++) {
    await ask(round % 2 === 0 ? a : b, { type: 'queue', n: 2 }, 'queued')
    if (round % 4 !== 3) await hook.until(() => ids(hook.received).size >= 2 * (round + 1), 60_000)
  }
  await hook.until(() => ids(hook.received).size >= M, 120_000)

  // Drained: both processes see the cursor at the end of the log and every event counted delivered.
  const store = new SqliteStore({ path })
  t.teardown(() => store.close())
  const events = await store.events.read({ namespace: 'default', types: ['queued'], limit: 1000 })
  t.equal(events.length, M, `${M} queued events in the log`)
  const last = events.at(-1)!.sequence
  const sent: number[] = []
  for (const [name, child] of [
    ['A', a],
    ['B', b],
  ] as const) {
    const deadline = Date.now() + 60_000
    let state = await ask<State>(child, { type: 'state', id: sub.id }, 'state')
    while (state.body.delivery.delivered < M && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20))
      state = await ask<State>(child, { type: 'state', id: sub.id }, 'state')
    }
    t.match(
      state.body,
      { enabled: true, delivery: { cursor: last, delivered: M, failed: 0 } },
      `process ${name} sees the subscription drained`,
    )
    sent.push(state.sent)
  }
  // Which process wins a round's race is up to the timing of their polls: the split is printed, not asserted.
  t.comment(`requests sent: process A ${sent[0]}, process B ${sent[1]}`)
  t.equal(sent[0]! + sent[1]!, M, 'the two dispatchers sent one request per event between them')
  t.equal(hook.received.length, M, 'exactly one request per event (no duplicate delivery)')
  t.same(
    [...ids(hook.received)].sort(),
    events.map((e) => `msg_${sub.id}_${e.sequence}`).sort(),
    'one webhook-id per event of the log, none missing',
  )
  t.same(
    hook.received.map((r) => JSON.parse(r.body).data.sequence),
    events.map((e) => e.sequence),
    'in sequence order',
  )
  const signed = hook.received.filter((r) =>
    verify(
      sub.secret,
      { 'webhook-id': r.id, 'webhook-timestamp': r.timestamp, 'webhook-signature': r.signature },
      r.body,
    ),
  )
  t.equal(signed.length, M, 'every signature is valid')
  const forged = hook.received[0]!
  t.notOk(
    verify(
      `${sub.secret.slice(0, -2)}xx`,
      {
        'webhook-id': forged.id,
        'webhook-timestamp': forged.timestamp,
        'webhook-signature': forged.signature,
      },
      forged.body,
    ),
    'the control: another secret does not verify',
  )
})
