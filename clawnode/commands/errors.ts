/**
 * The one error type node commands throw. Its code travels to clawops in `node.invoke.result`
 * (`error.code`); the gateway keeps it as `details.nodeError.code`. The message must never contain a
 * secret: it is sent over the gateway and may end up in logs on both ends.
 */
import type { NodeErrorCode } from '../../src/lib/gateway/node-commands.js'

export class NodeCommandError extends Error {
  override name = 'NodeCommandError'
  constructor(
    readonly code: NodeErrorCode,
    message: string,
  ) {
    super(message)
  }
}
