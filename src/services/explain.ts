// `dockwall explain`: reads the host through the pipeline (refresh, or with --planned the
// plan too), then every namespace's full dumps (explain-host.ts), and answers the
// question over each flow it stands for. Without --planned it takes no lock and needs no
// configuration (as show does); with --planned it plans as `dockwall plan` does, under
// the state lock.
import type {Answer, Question} from '../explain/index.js'
import {ask, contextOf, plannedContext, readExplainHost, type PlannedNote} from './explain-host.js'
import {preparePlan, throwPlanErrors} from './pipeline.js'
import {refreshSession} from './refresh.js'
import {connectHost, openSession, type SessionSettings} from './session.js'
import {readShowContext} from './show.js'

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
    const {docker, host} = await connectHost(req.settings)
    const {actual, diagnostics, hostSaves} = await refreshSession(
      {
        docker,
        host,
        backend: req.settings.backend ?? ctx.model?.settings.backend ?? 'auto',
        model: ctx.model,
        state: ctx.state,
      },
      {inspectAll: true},
    )
    warnings.push(...diagnostics.map((d) => d.summary))
    const context = contextOf(await readExplainHost(actual, host, hostSaves), actual, ctx.model)
    return {...ask(context, req.question), warnings}
  }
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
