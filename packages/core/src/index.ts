/**
 * `@comp-manager/core`: the user API — canonical hashing, the tagged codec, the domain model and its
 * status machine, errors with stable codes, the Store ports and the in-memory Store. Building blocks
 * for libraries live in subpaths: `/runs` (the run lifecycle), `/store-kit` (for Store authors),
 * `/options` (declarative options), `/codec` and `/errors` (browser-safe).
 */
export * from './codec/index.js'
export * from './domain/index.js'
export * from './errors/index.js'
export * from './errors/schema.js'
export * from './hash/index.js'
export type { RunContext } from './runs/execute.js'
export * from './store/index.js'
