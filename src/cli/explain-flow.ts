// How `dockwall explain` reports: parses FROM and TO, asks the explain service
// (src/services/explain.ts) and prints the answer as text or JSON.
import {AbortError} from '../errors.js'
import {ExplainInputError, parseEndpoint, type Proto, type Question} from '../explain/index.js'
import {runExplain} from '../services/explain.js'
// The explain view itself, not ui/index.js: that one brings the plan's views along.
import {explainJson, renderExplainText, type ExplainView} from '../ui/explain-text.js'
import {sessionSettings, type SharedFlags} from './session-flags.js'

export interface ExplainFlags extends SharedFlags {
  port?: number
  proto: string
  'in-interface'?: string
  planned: boolean
  json: boolean
}

export interface ExplainFlowIO {
  warn: (line: string) => void
}

/** The question the arguments ask; a bad FROM, TO or port is an error that changes nothing. */
export function questionOf(
  from: string,
  to: string,
  flags: Pick<ExplainFlags, 'port' | 'proto' | 'in-interface'>,
): Question {
  const proto = flags.proto as Proto
  if (proto !== 'icmp' && flags.port === undefined)
    throw new AbortError(`${proto} needs a destination port`, `dockwall explain ${from} ${to} --port N`)
  if (proto === 'icmp' && flags.port !== undefined) throw new AbortError('icmp has no port: leave out --port')
  try {
    const q: Question = {from: parseEndpoint(from, 'FROM'), to: parseEndpoint(to, 'TO'), proto}
    if (flags.port !== undefined) q.port = flags.port
    if (flags['in-interface']) q.inInterface = flags['in-interface']
    return q
  } catch (err) {
    if (err instanceof ExplainInputError) throw new AbortError(err.message)
    throw err
  }
}

export async function runExplainCommand(
  from: string,
  to: string,
  flags: ExplainFlags,
  io: ExplainFlowIO,
): Promise<void> {
  process.stdout.write(await explainOutput(from, to, flags, io))
}

/** What `dockwall explain` prints on stdout (its warnings go to `io.warn` as they come). */
export async function explainOutput(from: string, to: string, flags: ExplainFlags, io: ExplainFlowIO): Promise<string> {
  const question = questionOf(from, to, flags)
  const outcome = await runExplain({question, planned: flags.planned, settings: sessionSettings(flags), warn: io.warn})
  const view: ExplainView = {
    from,
    to,
    proto: flags.proto,
    planned: flags.planned,
    answer: outcome,
    warnings: outcome.warnings,
  }
  if (flags.port !== undefined) view.port = flags.port
  if (flags['in-interface']) view.inInterface = flags['in-interface']
  if (outcome.planned) view.plannedNote = outcome.planned
  return flags.json ? `${JSON.stringify(explainJson(view), null, 2)}\n` : renderExplainText(view)
}
