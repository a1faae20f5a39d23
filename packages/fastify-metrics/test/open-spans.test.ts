// Run spans started here but ended by another instance (an HTTP worker's complete landing elsewhere)
// stay bounded: past MAX_OPEN_RUN_SPANS the oldest is ended and marked unfinished.
import { Emitter } from '@comp-manager/core/runs'
import { Registry } from 'prom-client'
import t from 'tap'
import { CompMetrics, MAX_OPEN_RUN_SPANS, observeWorker, type Tracing } from '../src/index.js'

interface FakeSpan {
  name: string
  ended: boolean
  attributes?: Record<string, unknown>
}

function fakeTracing(spans: FakeSpan[]): Tracing {
  return {
    enabled: true,
    start(name: string) {
      const span: FakeSpan = { name, ended: false }
      spans.push(span)
      return {
        span: {
          end(_error?: unknown, attributes?: Record<string, unknown>) {
            span.ended = true
            if (attributes !== undefined) span.attributes = attributes
          },
          traceparent: () => null,
        },
      }
    },
  } as unknown as Tracing
}

const record = (id: string) => ({
  id,
  function: 'remote.fn',
  attempt: 1,
  startedAt: Date.now(),
  activeMs: 0,
  activeSince: Date.now(),
})

t.test(
  'open run spans are bounded; the oldest is ended as unfinished, the others end normally',
  async (t) => {
    const spans: FakeSpan[] = []
    const events = new Emitter<Record<string, { record: ReturnType<typeof record> }>>(() => undefined)
    const metrics = new CompMetrics(new Registry(), 10)
    const stop = observeWorker(events, { metrics, tracing: fakeTracing(spans) })
    t.teardown(stop)
    for (let i = 0; i < MAX_OPEN_RUN_SPANS + 5; i++) events.emit('started', { record: record(`r${i}`) })
    t.equal(spans.length, MAX_OPEN_RUN_SPANS + 5)
    const evicted = spans.filter((s) => s.ended)
    t.equal(evicted.length, 5, 'five ended to make room')
    t.same(
      evicted.map((s) => s.attributes),
      Array.from({ length: 5 }, () => ({ 'comp_manager.span.unfinished': true })),
    )
    t.ok(
      spans.slice(0, 5).every((s) => s.ended),
      'the oldest ones',
    )
    events.emit('finished', { record: record(`r${MAX_OPEN_RUN_SPANS + 4}`) })
    t.ok(spans.at(-1)?.ended, 'a run ending here still ends its span')
    t.equal(spans.at(-1)?.attributes, undefined, 'normally')
  },
)
