/**
 * Declarative options for comp-manager packages (and for plugins written on top of them), free of
 * Node-only imports: `import { defineOptions, DurationSchema } from '@comp-manager/core/options'`.
 */
export * from './duration.js'
export * from './parse.js'
export * from './schema.js'
