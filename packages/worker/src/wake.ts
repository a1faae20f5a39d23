/**
 * The workers of this process sleep on core's wake registry (keyed by the Store), so that an in-process
 * submit, or `POST /computations` served by this process, wakes them at once.
 */
export { notifyQueued as notifySubmit, onQueued as onSubmit } from '@comp-manager/core/runs'
