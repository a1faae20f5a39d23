/**
 * `@comp-manager/tracker`: track every run of a function — one record per call in a comp-manager
 * Store, duplicates handled by hash, leases and heartbeats with lost-run detection, progress,
 * cooperative pause/resume/cancel, events, and a standard decorator.
 */
export type { RunContext } from '@comp-manager/core'
export { currentRun } from './context.js'
export { tracked } from './decorator.js'
export { type TrackerErrorCode, trackerErrorStatus, trackerErrors } from './errors.js'
export {
  type OnDuplicate,
  onDuplicatePolicies,
  type TrackerLogger,
  type TrackerOptions,
  type TrackOptions,
} from './options.js'
export { createTracker, type TrackedOptions, Tracker } from './tracker.js'
export type {
  ErrorDuring,
  ListFilters,
  TrackedFunction,
  TrackerEventName,
  TrackerEvents,
  TrackerListener,
} from './types.js'
