import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { type BuildAppOptions, buildApp } from './app.js'
import type { ServerConfig } from './config.js'

export interface StartServerOptions extends BuildAppOptions {
  /**
   * Install SIGTERM/SIGINT (and uncaught error) handlers that close the app gracefully and exit: 0 after a
   * clean close, 1 after an error or when closing takes more than twice `shutdownTimeoutMs` (+ 5 s).
   * Default `true`; tests and hosts with their own handling pass `false`.
   */
  handleSignals?: boolean
}

export interface StartedServer {
  app: FastifyInstance
  /** `http://host:port` the server listens on. */
  address: string
  /** Closes the app (as a signal would, without exiting the process). */
  close(): Promise<void>
}

/**
 * Builds the app with {@link buildApp}, listens on `config.host:config.port`, logs the warnings of the
 * configuration, and (unless `handleSignals: false`) shuts down gracefully on SIGTERM/SIGINT: stop
 * accepting, let in-flight requests finish (at most `shutdownTimeoutMs`), mark this process's still
 * running computations `lost`, close the stores, exit 0. A second signal exits at once with code 1.
 */
export async function startServer(
  config: ServerConfig,
  options: StartServerOptions = {},
): Promise<StartedServer> {
  const { handleSignals = true, ...buildOptions } = options
  const app = await buildApp(config, buildOptions)
  for (const warning of config.warnings) app.log.warn(warning)
  let address: string
  try {
    address = await app.listen({ port: config.port, host: config.host })
  } catch (err) {
    await app.close().catch(() => undefined)
    throw err
  }
  let closing: Promise<void> | undefined
  let grace: { uninstall(): void } | undefined
  const close = () => {
    grace?.uninstall()
    closing ??= app.close()
    return closing
  }
  if (handleSignals) {
    const delay = 2 * config.shutdownTimeoutMs + 5000
    grace = closeWithGrace(
      {
        delay,
        logger: {
          error: (problem: unknown) =>
            problem instanceof Error
              ? app.log.error({ err: problem }, 'shutdown error')
              : app.log.error(String(problem)),
        },
      },
      async ({ signal, err }) => {
        if (err !== undefined) app.log.error({ err }, 'closing after an uncaught error')
        else if (signal !== undefined) app.log.info({ signal }, 'shutting down gracefully')
        await close()
        app.log.info('closed')
      },
    )
  }
  return { app, address, close }
}
