/**
 * `@comp-manager/cli`: the `comp-manager` command. The bin is `dist/bin.js`; `main(args)` runs it in-process.
 */
export {
  type ConfigFile,
  configPath,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_URL,
  type Profile,
  type ResolvedConfig,
  resolveConfig,
} from './config.js'
export { EXIT, UsageError } from './errors.js'
export { commands, type MainOptions, main, version } from './main.js'
