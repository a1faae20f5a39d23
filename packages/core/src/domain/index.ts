export * from './http.js'
export * from './http-error.js'
export * from './schemas.js'
export * from './status.js'
