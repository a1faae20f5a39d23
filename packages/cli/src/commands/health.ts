import type { Context } from '../context.js'
import { EXIT } from '../errors.js'
import { table } from '../output.js'
import type { CommandSpec } from '../spec.js'

const health: CommandSpec<Context> = {
  name: 'health',
  summary: 'Check that the server answers (with --detailed: each of its checks)',
  description: 'Exits 0 when the server is healthy, 1 when it does not answer or a check fails.',
  args: [],
  options: {
    detailed: {
      type: 'boolean',
      short: 'd',
      description: 'Run every check of the server (store ping, Redis…) with latencies',
    },
  },
  examples: [
    'comp-manager health',
    'comp-manager health --detailed',
    'comp-manager health --url https://cm.example.com --json',
  ],
  async run(ctx) {
    const client = ctx.client()
    const url = ctx.config().url
    if (!ctx.values.detailed) {
      const result = await client.health({ signal: ctx.signal })
      if (ctx.json) ctx.printJson(result)
      else ctx.out(`${ctx.paint('green', result.status)} ${ctx.paint('dim', url)}`)
      return EXIT.ok
    }
    const report = await client.healthDetailed({ signal: ctx.signal })
    const ok = report.status === 'ok'
    if (ctx.json) {
      ctx.printJson(report)
      return ok ? EXIT.ok : EXIT.error
    }
    const rows = Object.entries(report.checks).map(([name, check]) => ({ name, ...check }))
    ctx.out(
      `${ctx.paint(ok ? 'green' : 'red', report.status)} ${ctx.paint('dim', `${url} · server ${report.version} · up ${Math.round(report.uptimeSeconds)}s`)}\n` +
        (rows.length === 0
          ? 'no checks registered'
          : table(
              rows,
              [
                { header: 'CHECK', value: (r) => r.name },
                {
                  header: 'STATUS',
                  value: (r) => (r.ok ? 'ok' : 'fail'),
                  style: (r) => (r.ok ? 'green' : 'red'),
                },
                { header: 'LATENCY', value: (r) => `${r.latencyMs.toFixed(1)}ms`, align: 'right' },
                { header: 'ERROR', value: (r) => r.error ?? '', max: 60 },
              ],
              ctx.paint,
            )),
    )
    return ok ? EXIT.ok : EXIT.error
  },
}

export const healthCommands = [health]
