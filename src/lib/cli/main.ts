/**
 * Runs oclif and answers, in the requested output mode, the failures that happen before any command
 * runs (an unknown command or topic, with the nearest real one).
 */
import { Config, Errors, flush, run } from '@oclif/core'
import { exitCodeFor } from '../errors.js'
import { failure, writeJson } from '../output/envelope.js'
import { jsonRequested } from '../output/mode.js'
import { classify } from './classify.js'
import { formatError } from './human.js'
import { explainUnknownCommand } from './not-found.js'

export async function main(argv: string[], entryUrl: string): Promise<void> {
  let config: Config | undefined
  try {
    config = await Config.load(entryUrl)
    await run(argv, config)
    // Nothing to flush into a pipe whose reader has gone (it would wait for a drain that never comes).
    if (!process.stdout.destroyed) await flush()
  } catch (err) {
    if (err instanceof Errors.ExitError) {
      process.exitCode = err.oclif.exit
      return
    }
    const body = (config && explainUnknownCommand(err, config)) ?? classify(err)
    process.exitCode = exitCodeFor(body.code)
    if (jsonRequested(argv)) writeJson(failure(body))
    else process.stderr.write(formatError(body))
  }
}
