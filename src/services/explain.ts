// `dockwall explain`: reads the host (without --planned: Docker, the host's saves and each
// namespace's interfaces and routes, a container's iptables only when a packet of the
// question enters it; with --planned: through the plan pipeline, every namespace in
// full: explain-host.ts), and answers the question over each flow it stands for. Without
// --planned it takes no lock and needs no configuration (as show does); with --planned it
// plans as `dockwall plan` does, under the state lock.
import type {Answer, Question} from '../explain/index.js'
import {
  ask,
  askAsIs,
  contextOf,
  plannedContext,
  readExplainHost,
  readHostAsIs,
  type PlannedNote,
} from './explain-host.js'
import {connectHostReader, openSession, type SessionSettings} from './session.js'
import {readShowContext} from './show-context.js'

export interface ExplainOutcome extends Answer {
  planned?: PlannedNote
  warnings: string[]
}

export interface ExplainRequest {
  question: Question
  planned: boolean
  settings: SessionSettings
  warn: (message: string) => void
}

export async function runExplain(req: ExplainRequest): Promise<ExplainOutcome> {
  const warnings: string[] = []
  if (!req.planned) {
    const ctx = await readShowContext(req.settings, req.warn)
    // Reads only: a small client over Docker's socket, not dockerode (ssh2, grpc, protobufjs load in 0.2 s).
    const {docker, host} = await connectHostReader(req.settings)
    // The host as it is: no refresh (it reads and parses what the planner needs), only what explain asks.
    const asIs = await readHostAsIs({
      docker,
      host,
      backend: req.settings.backend ?? ctx.model?.settings.backend ?? 'auto',
      model: ctx.model,
      state: ctx.state,
      question: req.question,
    })
    warnings.push(...asIs.warnings)
    const context = contextOf(asIs.host, asIs, ctx.model)
    return {...(await askAsIs(context, asIs, req.question)), warnings}
  }
  // The plan pipeline only for --planned: without it explain loads none of it.
  const {preparePlan, throwPlanErrors} = await import('./prepare.js')
  const session = await openSession({...req.settings, operation: 'explain --planned', warn: req.warn})
  try {
    const prepared = await preparePlan(session, {mode: 'normal', targets: []}, {inspectAll: true})
    throwPlanErrors(prepared)
    warnings.push(...prepared.plan.warnings.filter((w) => w.severity === 'warning').map((w) => w.summary))
    const explainHost = await readExplainHost(prepared.actual, session.host, prepared.hostSaves)
    const {context, note} = plannedContext(explainHost, prepared.plan, prepared.actual, session.model)
    return {...ask(context, req.question), planned: note, warnings}
  } finally {
    await session.close()
  }
}
