export {
  createMemoryStore,
  DEFAULT_MEMORY_MAX_VALUE_BYTES,
  MemoryStore,
  type MemoryStoreOptions,
} from './memory-store.js'
export * from './ports.js'
export * from './queue-ports.js'
