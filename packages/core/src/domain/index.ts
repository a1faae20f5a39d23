export * from './http.js'
export * from './schemas.js'
export * from './status.js'
