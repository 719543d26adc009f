/**
 * The error taxonomy. Every failure class has one stable code and one exit code, the same in
 * human and JSON mode. `UserError`s are things the operator or agent can fix (they carry a hint);
 * anything else that escapes a command is a bug and is reported as INTERNAL.
 */
export const ERROR_CODES = {
  INTERNAL: { exit: 1, summary: 'a bug in clawops; the message says where' },
  INVALID_INPUT: { exit: 2, summary: 'bad flags, arguments, selectors or input documents' },
  CONFIG_INVALID: { exit: 3, summary: 'the config file or a credential is missing or malformed' },
  NOT_FOUND: { exit: 4, summary: 'the named instance, pair, plan, operation or version does not exist' },
  PROVIDER_ERROR: {
    exit: 5,
    summary: "a cloud provider's API refused or failed (its own code is in details)",
  },
  POLICY_DENIED: {
    exit: 6,
    summary: 'a safety rule or role limit forbids the action (the rule is in details)',
  },
  GATEWAY_UNREACHABLE: {
    exit: 7,
    summary: 'the OpenClaw gateway could not be reached or refused the connection',
  },
  CONFIRMATION_REQUIRED: { exit: 8, summary: 'the plan needs confirmation: re-run with --confirm <planId>' },
  PLAN_STALE: {
    exit: 9,
    summary: 'the fleet changed since the plan was made, or the plan expired; plan again',
  },
  CONFLICT: { exit: 10, summary: 'the target is busy or already in the requested state' },
  STORE_CORRUPT: {
    exit: 11,
    summary: 'the fleet database is not a readable clawops store; it was not modified',
  },
  STORE_UNREACHABLE: {
    exit: 16,
    summary: 'the PostgreSQL store could not be reached or refused the connection',
  },
  ENGINE_UNSUPPORTED: {
    exit: 17,
    summary: 'the command works on the SQLite store file only (backup, restore); the store is PostgreSQL',
  },
  STORE_TOO_NEW: {
    exit: 12,
    summary: 'the fleet database was written by a newer clawops; it was not modified',
  },
  NODE_ERROR: { exit: 13, summary: 'a gf-clawnode command failed on the instance' },
  AUDIT_CHAIN_BROKEN: { exit: 14, summary: 'audit verify found an edited, removed or reordered entry' },
  TIMEOUT: { exit: 15, summary: 'an operation did not finish within its deadline' },
  PARTIAL_FAILURE: { exit: 68, summary: 'some targets succeeded and some failed; details list each' },
  INTERRUPTED: { exit: 130, summary: 'interrupted (SIGINT); resume with clawops ops resume' },
} as const satisfies Record<string, { exit: number; summary: string }>

export type ErrorCode = keyof typeof ERROR_CODES

export interface ErrorBody {
  code: ErrorCode
  message: string
  hint?: string
  details?: unknown
}

/** An error the user can act on. */
export class UserError extends Error {
  readonly code: ErrorCode
  readonly hint?: string
  readonly details?: unknown

  constructor(
    code: ErrorCode,
    message: string,
    opts: { hint?: string; details?: unknown; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'UserError'
    this.code = code
    if (opts.hint !== undefined) this.hint = opts.hint
    if (opts.details !== undefined) this.details = opts.details
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message }
    if (this.hint !== undefined) body.hint = this.hint
    if (this.details !== undefined) body.details = this.details
    return body
  }
}

/** The same error with more in its details (and, when given, more said at the end of its message). */
export function withDetails(err: UserError, extra: Record<string, unknown>, addToMessage = ''): UserError {
  return new UserError(err.code, `${err.message}${addToMessage}`, {
    details: { ...(err.details as object | undefined), ...extra },
    ...(err.hint === undefined ? {} : { hint: err.hint }),
    ...(err.cause === undefined ? {} : { cause: err.cause }),
  })
}

export function exitCodeFor(code: ErrorCode): number {
  return ERROR_CODES[code].exit
}

/** Turns anything thrown into the error body of the envelope; unknown errors are INTERNAL. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof UserError) return err.toBody()
  const message = err instanceof Error ? err.message : String(err)
  return {
    code: 'INTERNAL',
    message: `internal error: ${message}`,
    hint: 'This is a bug in clawops. Re-run with CLAWOPS_LOG=stderr CLAWOPS_LOG_LEVEL=debug and report it.',
  }
}
