import type { Computation } from '@comp-manager/core'
import { type ComputationSummaryDto, toDto } from '@comp-manager/fastify-tracker'

/** A record as the computations routes list it: the DTO without `args` and `checkpoint`. */
export function toSummary(record: Computation): ComputationSummaryDto {
  const { args: _args, checkpoint: _checkpoint, ...summary } = toDto(record)
  return summary
}
