/**
 * The error entry point, free of Node-only imports (usable in browsers):
 * `import { errorCodes, codeOfStatus, type ErrorBody } from '@comp-manager/core/errors'`.
 * The one catalogue of `CM_ERR_…` codes and their HTTP statuses, the one error body, and the mapping
 * of any error to that body.
 */
export * from './body.js'
export * from './catalogue.js'
export * from './http.js'
