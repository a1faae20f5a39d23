export * from './document-ports.js'
export * from './event-ports.js'
export { lifecycleEventType } from './event-records.js'
export { EventTail, type EventTailOptions } from './event-tail.js'
export {
  createMemoryStore,
  DEFAULT_MEMORY_MAX_VALUE_BYTES,
  MemoryStore,
  type MemoryStoreOptions,
} from './memory-store.js'
export * from './ports.js'
export * from './queue-ports.js'
