/**
 * The metrics of comp-manager, as Prometheus advises (base units, `_total` for counters, small bounded
 * label sets: never an id). One `CompMetrics` per registry; every metric is a prom-client object.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/** Seconds: from 5 ms (a cache hit over HTTP) to 10 minutes (a long run). */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600]
/** Seconds: store operations are fast (0.1 ms to 1 s). */
export const STORE_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]

/** The label value of everything beyond {@link BoundedLabel}'s limit. */
export const OTHER_LABEL = 'other'

/**
 * Keeps a label's values bounded: the first `max` distinct values are kept, later ones become
 * `other` (function names come from callers; a flood of names must not make series without end).
 */
export class BoundedLabel {
  readonly #seen = new Set<string>()
  readonly #max: number
  constructor(max: number) {
    this.#max = max
  }
  of(value: string | null | undefined): string {
    const v = value ?? 'unknown'
    if (this.#seen.has(v)) return v
    if (this.#seen.size >= this.#max) return OTHER_LABEL
    this.#seen.add(v)
    return v
  }
}

/** What the queue gauges show. */
export interface QueueCounts {
  queued: number
  running: number
}

/** Every metric the plugin exports. */
export class CompMetrics {
  readonly registry: Registry
  readonly httpRequests: Counter<'method' | 'route' | 'status_code'>
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>
  readonly runs: Counter<'function' | 'outcome'>
  readonly runDuration: Histogram<'function' | 'outcome'>
  readonly queueDepth: Gauge
  readonly running: Gauge
  readonly cacheHits: Counter<'function' | 'source'>
  readonly cacheMisses: Counter<'function'>
  readonly cacheFills: Counter<'function'>
  readonly cacheFillDuration: Histogram<'function'>
  readonly storeDuration: Histogram<'operation' | 'outcome'>
  readonly functions: BoundedLabel

  /**
   * `queue`: reads the fleet-wide queue depth and running count at each scrape (the store's counts);
   * without it the two gauges stay at 0.
   */
  constructor(registry: Registry, maxFunctions: number, queue?: () => Promise<QueueCounts>) {
    this.registry = registry
    this.functions = new BoundedLabel(maxFunctions)
    const registers = [registry]
    const http = httpMetrics(registers)
    this.httpRequests = http.requests
    this.httpDuration = http.duration
    const runs = runMetrics(registers)
    this.runs = runs.total
    this.runDuration = runs.duration
    // One read of the store per scrape serves both gauges (each collects on its own).
    let reading: { at: number; counts: Promise<QueueCounts> } | null = null
    const read = (): Promise<QueueCounts> | null => {
      if (queue === undefined) return null
      const now = Date.now()
      if (reading === null || now - reading.at > 1000) reading = { at: now, counts: queue() }
      return reading.counts
    }
    this.running = new Gauge({
      name: 'comp_manager_runs_running',
      help: 'Computations started and not ended in the served namespaces, fleet-wide (read from the store)',
      registers,
      async collect() {
        const counts = read()
        if (counts !== null) this.set((await counts).running)
      },
    })
    this.queueDepth = new Gauge({
      name: 'comp_manager_queue_depth',
      help: 'Computations queued (waiting for a worker) in the served namespaces, fleet-wide (read from the store)',
      registers,
      async collect() {
        const counts = read()
        if (counts !== null) this.set((await counts).queued)
      },
    })
    const cache = cacheMetrics(registers)
    this.cacheHits = cache.hits
    this.cacheMisses = cache.misses
    this.cacheFills = cache.fills
    this.cacheFillDuration = cache.fillDuration
    this.storeDuration = storeMetric(registers)
  }
}

type Registers = Registry[]

function httpMetrics(registers: Registers) {
  const requests = new Counter({
    name: 'comp_manager_http_requests_total',
    help: 'HTTP requests served, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'],
    registers,
  })
  const duration = new Histogram({
    name: 'comp_manager_http_request_duration_seconds',
    help: 'Time to serve an HTTP request (until the reply is sent), by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: DURATION_BUCKETS,
    registers,
  })
  return { requests, duration }
}

function runMetrics(registers: Registers) {
  const total = new Counter({
    name: 'comp_manager_runs_total',
    help: 'Runs ended in this process, by function and outcome (finished, failed, retrying, lost)',
    labelNames: ['function', 'outcome'],
    registers,
  })
  const duration = new Histogram({
    name: 'comp_manager_run_duration_seconds',
    help: 'Running time of the runs ended in this process, by function and outcome',
    labelNames: ['function', 'outcome'],
    buckets: DURATION_BUCKETS,
    registers,
  })
  return { total, duration }
}

function cacheMetrics(registers: Registers) {
  const hits = new Counter({
    name: 'comp_manager_cache_hits_total',
    help: 'Cache hits in this process, by function and source (l1 or store)',
    labelNames: ['function', 'source'],
    registers,
  })
  const misses = new Counter({
    name: 'comp_manager_cache_misses_total',
    help: 'Cache misses in this process, by function',
    labelNames: ['function'],
    registers,
  })
  const fills = new Counter({
    name: 'comp_manager_cache_fills_total',
    help: 'Values computed and stored by the cache in this process, by function',
    labelNames: ['function'],
    registers,
  })
  const fillDuration = new Histogram({
    name: 'comp_manager_cache_fill_duration_seconds',
    help: 'Time from a miss to the stored value (the fill), by function',
    labelNames: ['function'],
    buckets: DURATION_BUCKETS,
    registers,
  })
  return { hits, misses, fills, fillDuration }
}

function storeMetric(registers: Registers) {
  return new Histogram({
    name: 'comp_manager_store_operation_duration_seconds',
    help: 'Latency of Store operations (computations.get, queue.claimBatch, cache.get, …), by outcome (ok, error)',
    labelNames: ['operation', 'outcome'],
    buckets: STORE_BUCKETS,
    registers,
  })
}
