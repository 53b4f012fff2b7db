// How `dockwall graph` reports: the plan from the pipeline (src/services/prepare.ts)
// as a DOT or Mermaid graph on stdout.
import type {PlanMode} from '../plan/types.js'
import {toDot, toMermaid} from '../plan/graph.js'
import {preparePlan, throwPlanErrors} from '../services/prepare.js'
import {openSession} from '../services/session.js'
import {sessionOptions, type SharedFlags} from './session-flags.js'

export interface GraphFlags extends SharedFlags {
  target?: string[]
  format: string
  destroy: boolean
  'changes-only': boolean
}

export async function runGraph(flags: GraphFlags, io: {warn: (line: string) => void}): Promise<void> {
  const session = await openSession(sessionOptions(flags, 'graph', io.warn))
  try {
    const mode: PlanMode = flags.destroy ? 'destroy' : 'normal'
    const prepared = await preparePlan(session, {mode, targets: flags.target ?? []})
    throwPlanErrors(prepared)
    const opts = {includeNoop: !flags['changes-only']}
    process.stdout.write(flags.format === 'mermaid' ? toMermaid(prepared.plan, opts) : toDot(prepared.plan, opts))
  } finally {
    await session.close()
  }
}
