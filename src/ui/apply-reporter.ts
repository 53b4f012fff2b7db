// One event stream, several loggers: apply emits ApplyEvents and the command
// picks a reporter — Ink on a terminal, plain Terraform-style lines otherwise,
// JSON lines with --json. Only the Ink reporter loads Ink, lazily.
import type {ApplyEvent, ApplyListener} from '../apply/events.js'
import {batchStartLine, rowLines, startLine, stillLine, summaryLines} from './apply-messages.js'
import {ApplyProgressStore} from './apply-store.js'
import {shouldColor} from './color.js'
import type {ReporterIO} from './reporter-io.js'
import {toAnsi, type StyledLine} from './styled.js'

export type ReporterKind = 'ink' | 'text' | 'json'

export interface ApplyReporter {
  listener: ApplyListener
  /** Call once apply has returned (or thrown): flushes output and releases the terminal. */
  done(): Promise<void>
}

export function createApplyReporter(kind: ReporterKind, io: ReporterIO): ApplyReporter {
  switch (kind) {
    case 'text':
      return createTextReporter(io)
    case 'json':
      return createJsonReporter(io)
    case 'ink':
      return createInkReporter(io)
  }
}

export function createTextReporter(io: ReporterIO): ApplyReporter {
  const now = io.now ?? Date.now
  const color = io.color ?? shouldColor(io.stdout)
  const store = new ApplyProgressStore(now)
  const every = io.stillRunningEveryMs ?? 10_000
  const write = (line: StyledLine) => io.stdout.write(`${toAnsi(line, color)}\n`)
  let timer: NodeJS.Timeout | undefined
  const stopTimer = () => {
    if (timer) clearInterval(timer)
    timer = undefined
  }
  const startTimer = () => {
    if (timer || every <= 0) return
    timer = setInterval(() => {
      const t = now()
      for (const e of store.getSnapshot().running)
        if (t - e.startedAt >= every) write(stillLine(e.address, e.action, t - e.startedAt))
    }, every)
    // Progress chatter must never keep the process alive.
    timer.unref()
  }
  const listener: ApplyListener = (event) => {
    store.listener(event)
    switch (event.type) {
      case 'batch_start': {
        const batch = store.currentBatch()
        if (batch) write(batchStartLine(batch))
        break
      }
      case 'change_start':
        // The changes of a summarised batch are counted, not narrated.
        if (store.currentBatch()) break
        write(startLine(event.address, event.action))
        startTimer()
        break
      case 'change_done':
      case 'change_failed':
      case 'change_skipped':
      case 'batch_done': {
        const row = store.lastRow()
        // A change counted in a summarised batch leaves no row of its own.
        const ownRow =
          event.type === 'batch_done'
            ? row?.kind === 'batch'
            : row?.kind === 'step' && row.entry.address === event.address
        if (row && ownRow) for (const l of rowLines(row)) write(indentContinuation(l))
        if (store.runningCount() === 0) stopTimer()
        break
      }
      case 'apply_done':
        stopTimer()
        io.stdout.write('\n')
        for (const l of summaryLines(store.getSnapshot())) write(l)
        break
      case 'apply_start':
      case 'state_saved':
        // Terraform does not narrate state saves; the JSON log has them.
        break
    }
  }
  return {
    listener,
    done: async () => {
      stopTimer()
    },
  }
}

/** Multi-line errors (iptables-restore's output) keep their lines, indented under the step. */
function indentContinuation(line: StyledLine): StyledLine {
  return line.map((s) => (s.text.includes('\n') ? {...s, text: s.text.replaceAll('\n', '\n    ')} : s))
}

/** An ApplyEvent as one JSON line: snake_case keys plus an ISO timestamp (see docs/PLAN-JSON.md). */
export function applyEventToJson(event: ApplyEvent, timeMs: number): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(event))
    if (v !== undefined) out[k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`)] = v
  out.timestamp = new Date(timeMs).toISOString()
  return out
}

export function createJsonReporter(io: ReporterIO): ApplyReporter {
  const now = io.now ?? Date.now
  return {
    listener: (event) => {
      io.stdout.write(`${JSON.stringify(applyEventToJson(event, now()))}\n`)
    },
    done: async () => {},
  }
}

function createInkReporter(io: ReporterIO): ApplyReporter {
  const store = new ApplyProgressStore(io.now)
  // The listener works at once (events wait in the store) while Ink loads.
  const mounted = import('./apply-progress.js').then((m) => m.mountApplyProgress(store, io))
  return {
    listener: store.listener,
    done: async () => {
      const view = await mounted
      await view.finish()
    },
  }
}
