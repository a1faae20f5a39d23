/**
 * `GET /computations/stats` through the generated client's typed `raw` routes (the SDK has no method
 * for it yet); an error answer becomes the client's `ApiError`, as every other call's.
 */
import { ApiError, type CompManagerClient, type ErrorCode, type operations } from '@comp-manager/client'

/** The answer of `GET /computations/stats`, as the generated `operations` spell it. */
export type ComputationStats =
  operations['getComputationStats']['responses'][200]['content']['application/json']

export async function computationStats(
  client: CompManagerClient,
  namespace: string | null,
): Promise<ComputationStats> {
  const path = '/api/v1/computations/stats'
  const query = namespace === null ? {} : { namespace }
  const { data, error, response } = await client.raw.GET(path, { params: { query } })
  if (data !== undefined) return data
  const body = (error ?? {}) as { code?: string; message?: string; requestId?: string }
  throw new ApiError({
    status: response.status,
    code: (body.code ?? 'CM_ERR_INTERNAL') as ErrorCode,
    message: body.message ?? `GET ${path} answered ${response.status}`,
    requestId: body.requestId ?? response.headers.get('x-request-id') ?? undefined,
    details: undefined as never,
    method: 'GET',
    url: response.url,
    body: error,
  })
}
