import { hostname } from 'node:os'

/** Who runs a computation: recorded on each record. */
export interface RunnerIdentity {
  pid: number
  host: string
}

let cached: RunnerIdentity | undefined

export function runnerIdentity(): RunnerIdentity {
  cached ??= { pid: process.pid, host: hostname() }
  return cached
}
