#!/usr/bin/env node
import { main } from './main.js'

// Ctrl-C: the running command is aborted (it exits 130); a second Ctrl-C exits at once.
const controller = new AbortController()
process.once('SIGINT', () => {
  controller.abort(new Error('interrupted'))
  process.once('SIGINT', () => process.exit(130))
})

process.exitCode = await main(process.argv.slice(2), { signal: controller.signal })
