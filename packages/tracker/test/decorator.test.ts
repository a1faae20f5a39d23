import t from 'tap'
import { createTracker, tracked } from '../src/index.js'
import { codeOf, recordingLogger, settle, storeKinds } from './fixtures/helpers.js'

/** The TC39 standard method decorator (TypeScript 5, no `experimentalDecorators`). */

for (const kind of storeKinds) {
  t.test(kind.name, async (t) => {
    const store = kind.open(t)
    const tracker = createTracker({ store, namespace: 'deco', leaseMs: 600, logger: recordingLogger() })

    class Calculator {
      constructor(readonly factor: number) {}

      @tracker.tracked()
      async scale(n: number): Promise<number> {
        return this.factor * n
      }

      @tracker.tracked({ onDuplicate: 'return', version: 2 })
      async square(n: bigint): Promise<bigint> {
        return n * n
      }

      @tracked(tracker, { functionFull: 'calc/explicit', name: 'explicit' })
      async explicit(): Promise<string> {
        const ctx = tracker.current()
        ctx?.message('inside')
        return ctx?.id ?? 'no context'
      }

      @tracker.tracked()
      async fails(): Promise<never> {
        throw new RangeError(`factor ${this.factor}`)
      }

      @tracker.tracked()
      static async create(factor: number): Promise<Calculator> {
        return new Calculator(factor)
      }
    }

    class Scientific extends Calculator {}

    t.test('decorated methods are tracked as ClassName.method, with `this`', async (t) => {
      const calc = new Calculator(3)
      t.equal(await calc.scale(5), 15)
      t.equal(await new Scientific(4).scale(5), 20, 'a subclass instance')
      t.equal(await calc.square(12n), 144n)
      t.equal(await calc.square(12n), 144n, "'return' gives the stored result")
      const made = await Calculator.create(2)
      t.type(made, Calculator, 'a static method')

      const list = (await tracker.list({ sort: 'createdAt' })).data
      t.same(
        list.map((r) => [r.function, r.functionFull, r.status]),
        [
          ['scale', 'Calculator.scale', 'finished'],
          ['scale', 'Calculator.scale', 'finished'],
          ['square', 'Calculator.square', 'finished'],
          ['create', 'Calculator.create', 'finished'],
        ],
        'the declaring class names the function, even for a subclass instance',
      )
      t.same(list[0]!.args, [5], '`this` is not part of the arguments')
      t.equal(list[0]!.hash, list[1]!.hash, 'same arguments, same hash, whatever the instance')
    })

    t.test('options, context via current(), failures', async (t) => {
      const calc = new Calculator(7)
      const id = await calc.explicit()
      const record = (await tracker.get(id))!
      t.match(record, {
        function: 'explicit',
        functionFull: 'calc/explicit',
        status: 'finished',
        message: 'inside',
      })
      const result = await settle(calc.fails())
      t.match(result, { ok: false, error: { name: 'RangeError', message: 'factor 7' } })
      t.equal((await tracker.list({ function: 'Calculator.fails' })).data[0]?.status, 'failed')
    })

    t.test('bad decorator options fail when the class is defined', async (t) => {
      t.throws(
        () => {
          class Bad {
            @tracker.tracked({ onDuplicate: 'never' as never })
            async m() {}
          }
          return Bad
        },
        { code: 'CM_ERR_INVALID_ARGUMENT', details: { option: 'onDuplicate' } },
      )
      t.throws(
        () => {
          class Bad {
            // @ts-expect-error context is not an option of the decorator
            @tracker.tracked({ context: true })
            async m() {}
          }
          return Bad
        },
        { code: 'CM_ERR_INVALID_ARGUMENT', details: { option: 'context' } },
      )
    })

    t.test('a decorated method can be paused and resumed (same `this`)', async (t) => {
      class Job {
        readonly label = 'job-A'
        @tracker.tracked()
        async run(steps: number): Promise<string> {
          const ctx = tracker.current()!
          let i = (ctx.resumeState as number | undefined) ?? 0
          for (; i < steps; i++) {
            await new Promise((resolve) => setTimeout(resolve, 2))
            if (ctx.signal.aborted) {
              await ctx.checkpoint(i)
              ctx.signal.throwIfAborted()
            }
          }
          return `${this.label} did ${steps}`
        }
      }
      const started = new Promise<string>((resolve) => tracker.on('started', (e) => resolve(e.record.id)))
      const call = settle(new Job().run(1000))
      const id = await started
      await tracker.pause(id)
      t.match(await call, { ok: false, error: { code: 'CM_ERR_PAUSED' } })
      await tracker.cancel(id)
      t.equal(await codeOf(tracker.resume(id)), 'CM_ERR_INVALID_TRANSITION')

      const again = new Job()
      const startedAgain = new Promise<string>((resolve) =>
        tracker.on('started', (e) => resolve(e.record.id)),
      )
      const second = settle(again.run(30))
      const id2 = await startedAgain
      await tracker.pause(id2)
      await second
      t.equal(await tracker.resume(id2), 'job-A did 30', 'resumed with the same instance')
      t.equal((await tracker.get(id2))?.functionFull, 'Job.run')
    })
  })
}
