// The configuration lives in ./config/ (one module per section); this entry keeps `./config.js` imports working.
export * from './config/index.js'
