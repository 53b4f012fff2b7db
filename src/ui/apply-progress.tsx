// Apply progress in Ink: finished steps in <Static> (printed once, so they stay
// in the scrollback like a log), steps in progress live below with a spinner and
// elapsed time, a summary footer last. Imports Ink statically: the Ink reporter
// in apply-reporter.ts loads this module with a dynamic import().
import {Box, render, Static, Text} from 'ink'
import {useEffect, useState, useSyncExternalStore, type ReactElement} from 'react'

import {batchStartLine, formatElapsed, rowLines, startLine, summaryLines} from './apply-messages.js'
import type {ApplyProgressStore, ProgressEntry, ProgressRow} from './apply-store.js'
import type {ReporterIO} from './reporter-io.js'
import {seg, type StyledLine} from './styled.js'
import {StyledText} from './styled-text.js'

// cli-spinners' "dots", inlined rather than adding ink-spinner for ten characters.
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
const TICK_MS = 80

const STATUS_GLYPH: Record<Exclude<ProgressEntry['status'], 'running'>, StyledLine> = {
  done: [seg('✓ ', {color: 'green'})],
  failed: [seg('✗ ', {color: 'red'})],
  skipped: [seg('- ', {color: 'yellow'})],
}

export function FinishedRow({row}: {row: ProgressRow}): ReactElement {
  const glyph =
    row.kind === 'batch'
      ? STATUS_GLYPH[row.batch.failed > 0 ? 'failed' : 'done']
      : row.entry.status === 'running'
        ? [seg('  ')]
        : STATUS_GLYPH[row.entry.status]
  const [first = [], ...rest] = rowLines(row)
  return (
    <Box flexDirection="column">
      <StyledText line={[...glyph, ...first]} />
      {rest.map((l, i) => (
        <StyledText key={i} line={[seg('  '), ...l]} />
      ))}
    </Box>
  )
}

export function RunningRow({
  entry,
  frame,
  elapsedMs,
}: {
  entry: ProgressEntry
  frame: number
  elapsedMs: number
}): ReactElement {
  const line: StyledLine = [
    seg(`${SPINNER[frame % SPINNER.length] ?? ' '} `, {color: 'cyan'}),
    ...startLine(entry.address, entry.action),
    seg(` ${formatElapsed(elapsedMs)}`, {dim: true}),
    ...(entry.description ? [seg(`  ${entry.description}`, {dim: true})] : []),
  ]
  return <StyledText line={line} />
}

export interface ApplyProgressProps {
  store: ApplyProgressStore
  now?: () => number
}

export function ApplyProgress({store, now = Date.now}: ApplyProgressProps): ReactElement {
  const snap = useSyncExternalStore(store.subscribe, store.getSnapshot)
  const [frame, setFrame] = useState(0)
  const busy = (snap.running.length > 0 || snap.batch !== null) && snap.done === null
  // Tick only while something runs: an idle timer would keep re-rendering for nothing.
  useEffect(() => {
    if (!busy) return
    const t = setInterval(() => setFrame((f) => f + 1), TICK_MS)
    return () => clearInterval(t)
  }, [busy])
  const t = now()
  const finishedCount = snap.finishedCount
  const batch = snap.batch
  return (
    <Box flexDirection="column">
      {/* Static prints only the rows added since its last render. */}
      <Static items={snap.rows as ProgressRow[]}>{(row, i) => <FinishedRow key={i} row={row} />}</Static>
      {snap.done === null
        ? snap.running.map((e) => <RunningRow key={e.address} entry={e} frame={frame} elapsedMs={t - e.startedAt} />)
        : null}
      {snap.done === null && batch ? (
        <StyledText
          line={[
            seg(`${SPINNER[frame % SPINNER.length] ?? ' '} `, {color: 'cyan'}),
            ...batchStartLine(batch),
            seg(` ${formatElapsed(t - batch.startedAt)}`, {dim: true}),
          ]}
        />
      ) : null}
      {snap.done === null ? (
        snap.total !== null ? (
          <Text dimColor>
            {finishedCount} of {snap.total} done
            {snap.running.length > 0 ? ` · ${snap.running.length} running` : ''}
          </Text>
        ) : null
      ) : (
        <Box flexDirection="column" marginTop={1}>
          {summaryLines(snap).map((l, i) => (
            <StyledText key={i} line={l} />
          ))}
        </Box>
      )}
    </Box>
  )
}

export interface MountedProgress {
  finish(): Promise<void>
}

export function mountApplyProgress(store: ApplyProgressStore, io: ReporterIO): MountedProgress {
  // Ink needs a real stream (resize events, columns); the reporter is only chosen on a terminal.
  const instance = render(<ApplyProgress store={store} now={io.now} />, {
    stdout: io.stdout as NodeJS.WriteStream,
    patchConsole: false,
    // No useInput here, so Ink leaves the terminal in cooked mode and ctrl-c
    // reaches apply as SIGINT, which it handles by stopping cleanly.
    exitOnCtrlC: false,
  })
  return {
    finish: async () => {
      // Let React commit the last events before the final frame is written.
      await new Promise<void>((resolve) => setImmediate(resolve))
      instance.unmount()
      await instance.waitUntilExit()
    },
  }
}
