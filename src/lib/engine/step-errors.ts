/**
 * A journaled operation that ended badly becomes the error its failed step raised (GATEWAY_UNREACHABLE
 * stays GATEWAY_UNREACHABLE, not a generic NODE_ERROR), with the operation id to inspect or resume.
 */
import type { ErrorBody, ErrorCode } from '../errors.js'
import { UserError } from '../errors.js'
import type { MutationResult } from './types.js'

export function throwIfFailed(r: MutationResult): void {
  if (r.status === 'dry-run' || r.status === 'done') return
  const failed = r.operation.steps.filter((s) => s.state === 'failed')
  const first = failed[0]?.error as ErrorBody | undefined
  const code: ErrorCode =
    r.status === 'partial'
      ? 'PARTIAL_FAILURE'
      : first?.code && first.code !== 'INTERNAL'
        ? first.code
        : 'NODE_ERROR'
  throw new UserError(
    code,
    `operation ${r.operation.id} ended ${r.status}: ${first?.message ?? 'a step failed'}`,
    {
      hint:
        first?.hint ??
        `See clawops ops show ${r.operation.id}; retry with clawops ops resume ${r.operation.id} --retry-failed.`,
      details: {
        opId: r.operation.id,
        steps: r.operation.steps.map((s) => ({
          name: s.name,
          target: s.target,
          state: s.state,
          error: s.error,
        })),
      },
    },
  )
}
