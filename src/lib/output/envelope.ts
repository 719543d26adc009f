/**
 * The JSON contract: in JSON mode stdout holds exactly one document, either
 * `{"ok":true,"data":...,"warnings":[...]}` or `{"ok":false,"error":{code,message,hint?,details?},"warnings":[...]}`.
 */
import type { ErrorBody } from '../errors.js'

export interface SuccessEnvelope<T> {
  ok: true
  data: T
  warnings: string[]
}

export interface FailureEnvelope {
  ok: false
  error: ErrorBody
  warnings: string[]
}

export type Envelope<T> = SuccessEnvelope<T> | FailureEnvelope

export function success<T>(data: T, warnings: string[] = []): SuccessEnvelope<T> {
  return { ok: true, data, warnings }
}

export function failure(error: ErrorBody, warnings: string[] = []): FailureEnvelope {
  return { ok: false, error, warnings }
}

/** One compact line: agents pay for every byte of our output in tokens. */
export function writeJson(doc: unknown, stream: NodeJS.WritableStream = process.stdout): void {
  stream.write(`${JSON.stringify(doc)}\n`)
}
