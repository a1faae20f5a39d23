import type { FastifyBaseLogger, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import { LogController } from 'fastify'

/**
 * The server's request logs: **one line per request**, `request completed` at `info` (`request errored`
 * at `error`) when the reply is sent, with flat fields only (`method`, `url`, `statusCode`,
 * `responseTime` and the request id as `requestId`). Flat primitives keep pino on its fast path: no
 * serializer and no redaction runs for them, where Fastify's default logs two lines per request, each
 * serializing the whole request or reply. `incoming request` is logged at `debug` only.
 * Fastify's `disableRequestLogging` (a boolean or a function of the request) is honoured as Fastify
 * itself honours it.
 */
export class RequestLogController extends LogController {
  constructor(disableRequestLogging: FastifyServerOptions['disableRequestLogging']) {
    super({ requestIdLogLabel: 'requestId', disableRequestLogging: disableRequestLogging ?? false })
  }

  override incomingRequest(request: FastifyRequest): void {
    // pino's `isLevelEnabled` (FastifyBaseLogger does not declare it): the object is not even built.
    const log = request.log as FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean }
    if (log.isLevelEnabled?.('debug') === false || this.isLogDisabled(request)) return
    log.debug({ method: request.method, url: request.url }, 'incoming request')
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request)) return
    const line = {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      responseTime: reply.elapsedTime,
    }
    if (error) reply.log.error({ ...line, err: error }, 'request errored')
    else reply.log.info(line, 'request completed')
  }
}
