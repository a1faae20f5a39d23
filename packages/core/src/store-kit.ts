/**
 * `@comp-manager/core/store-kit`: what a Store author needs, apart from the user API of the main
 * entry. Implement a {@link StoreBackend} (raw operations on your database, each atomic), put the
 * guard in front of it with {@link guardStore} (validation of every input and hit accounting, once
 * for every store), build records with the shared record logic (`decideClaim`, `applyPatch`,
 * `markLost`…) so semantics never drift between stores, and run `@comp-manager/store-testkit`.
 */
export * from './store/backend.js'
export * from './store/cursor.js'
export * from './store/document-guard.js'
export * from './store/document-ports.js'
export * from './store/event-guard.js'
export * from './store/event-journal.js'
export * from './store/event-ports.js'
export * from './store/event-records.js'
export * from './store/guard.js'
export * from './store/hits.js'
export { compareDocuments } from './store/memory-document-store.js'
export { matchesEventQuery } from './store/memory-event-log.js'
export * from './store/ports.js'
export * from './store/queries.js'
export * from './store/queue-complete.js'
export * from './store/queue-guard.js'
export * from './store/queue-records.js'
export * from './store/queue-validate.js'
export * from './store/records.js'
export * from './store/validate.js'
