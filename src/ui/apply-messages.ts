// Terraform's apply wording (`network.frontend: Creating...`, `Creation complete
// after 0.2s`), shared by the plain logger and the Ink view so both say the same.
import type {Action} from '../plan/types.js'
import type {BatchProgress, ProgressEntry, ProgressRow, ProgressSnapshot} from './apply-store.js'
import {seg, type StyledLine} from './styled.js'
import {grouped} from '../util/text.js'

interface Verbs {
  /** `Creating...` */
  start: string
  /** `Creation complete` */
  done: string
  /** `Creation failed` */
  failed: string
  /** `Still creating...` */
  still: string
}

const VERBS: Record<Action, Verbs> = {
  create: {start: 'Creating...', done: 'Creation complete', failed: 'Creation failed', still: 'Still creating...'},
  update: {
    start: 'Modifying...',
    done: 'Modifications complete',
    failed: 'Modification failed',
    still: 'Still modifying...',
  },
  // Terraform shows a replace as a destroy and a create; dockwall's engine reports
  // it as one step (a network replace is disconnect, remove, create, reconnect).
  replace: {
    start: 'Replacing...',
    done: 'Replacement complete',
    failed: 'Replacement failed',
    still: 'Still replacing...',
  },
  delete: {
    start: 'Destroying...',
    done: 'Destruction complete',
    failed: 'Destruction failed',
    still: 'Still destroying...',
  },
  // A no-op step records an adopted object in the state without touching the host.
  'no-op': {start: 'Recording...', done: 'Recorded', failed: 'Recording failed', still: 'Still recording...'},
  deferred: {start: 'Waiting...', done: 'Done waiting', failed: 'Waiting failed', still: 'Still waiting...'},
}

/** `0.2s`, `12.5s`, `1m5s` (Terraform's style for minutes); `<0.1s` rather than a misleading `0.0s`. */
export function formatElapsed(ms: number): string {
  if (ms < 50) return '<0.1s'
  if (ms < 60_000) return `${(Math.max(0, ms) / 1000).toFixed(1)}s`
  const s = Math.round(ms / 1000)
  return `${Math.floor(s / 60)}m${s % 60}s`
}

function addr(address: string): StyledLine {
  return [seg(address, {bold: true}), seg(': ')]
}

export function startLine(address: string, action: Action): StyledLine {
  return [...addr(address), seg(VERBS[action].start)]
}

export function stillLine(address: string, action: Action, elapsedMs: number): StyledLine {
  return [...addr(address), seg(`${VERBS[action].still} [${Math.floor(elapsedMs / 1000)}s elapsed]`)]
}

/** The line a finished step leaves behind, in the text log and in Ink's <Static> part. */
export function finishedLine(e: ProgressEntry): StyledLine {
  const verbs = VERBS[e.action]
  switch (e.status) {
    case 'done':
      return [
        ...addr(e.address),
        seg(`${verbs.done} after ${formatElapsed(e.elapsedMs ?? 0)}`),
        ...(e.detail ? [seg(` [${e.detail}]`, {dim: true})] : []),
      ]
    case 'failed':
      return [
        ...addr(e.address),
        seg(`${verbs.failed} after ${formatElapsed(e.elapsedMs ?? 0)}: `, {color: 'red', bold: true}),
        seg(e.error ?? '', {color: 'red'}),
      ]
    case 'skipped':
      return [...addr(e.address), seg(`Skipped (${e.reason ?? 'not attempted'})`, {color: 'yellow'})]
    case 'running':
      return startLine(e.address, e.action)
  }
}

const PAST: Record<Action, string> = {
  create: 'created',
  update: 'modified',
  replace: 'replaced',
  delete: 'destroyed',
  'no-op': 'recorded',
  deferred: 'deferred',
}

function plural(n: number, word: string): string {
  return `${grouped(n)} ${word}${n === 1 ? '' : 's'}`
}

/** `iptables: Applying 20,000 changes in 2 transactions (host/filter, host/nat)...` */
export function batchStartLine(b: BatchProgress): StyledLine {
  return [
    ...addr(b.label),
    seg(
      `Applying ${plural(b.changes, 'change')} in ${plural(b.transactions.length, 'transaction')} (${b.transactions.join(', ')})...`,
    ),
  ]
}

/** `iptables: Complete after 0.6s [19,998 created, 2 destroyed]`, then one line per distinct failure. */
export function batchDoneLines(b: BatchProgress): StyledLine[] {
  const counts = (Object.keys(PAST) as Action[])
    .filter((a) => (b.done[a] ?? 0) > 0)
    .map((a) => `${grouped(b.done[a] ?? 0)} ${PAST[a]}`)
  const elapsed = formatElapsed(b.elapsedMs ?? 0)
  if (b.failed === 0)
    return [[...addr(b.label), seg(`Complete after ${elapsed}`), seg(` [${counts.join(', ')}]`, {dim: true})]]
  const out: StyledLine[] = [
    [
      ...addr(b.label),
      seg(`${plural(b.failed, 'change')} failed after ${elapsed}`, {color: 'red', bold: true}),
      ...(counts.length > 0 ? [seg(` [${counts.join(', ')}]`, {dim: true})] : []),
    ],
  ]
  for (const f of b.failures) {
    const more = f.count > f.addresses.length ? ` and ${grouped(f.count - f.addresses.length)} more` : ''
    out.push([seg(`  ${f.addresses.join(', ')}${more}: `), seg(f.error, {color: 'red'})])
  }
  return out
}

/** The lines a finished row leaves in the log. */
export function rowLines(row: ProgressRow): StyledLine[] {
  return row.kind === 'step' ? [finishedLine(row.entry)] : batchDoneLines(row.batch)
}

/** At most this many addresses per list in the closing lines (a failed 20,000-rule transaction fails them all). */
const LISTED = 10

function listed(addresses: readonly string[]): string {
  const more = addresses.length > LISTED ? ` and ${grouped(addresses.length - LISTED)} more` : ''
  return `${addresses.slice(0, LISTED).join(', ')}${more}`
}

/**
 * The closing lines: `Apply complete! Resources: 3 added, 1 changed, 0 destroyed.`
 * or `Apply failed! …` followed by what failed and what was not attempted, so
 * the operator knows exactly what did not happen; after a summarised apply, the
 * slowest steps.
 */
export function summaryLines(snap: ProgressSnapshot): StyledLine[] {
  const d = snap.done
  if (!d) return []
  const counts = `Resources: ${d.imported ? `${d.imported} imported, ` : ''}${d.added} added, ${d.changed} changed, ${d.destroyed} destroyed`
  const slowest: StyledLine[] =
    snap.summarised && snap.slowest.length > 0
      ? [
          [
            seg('Slowest: ', {dim: true}),
            seg(snap.slowest.map((s) => `${s.name} ${formatElapsed(s.elapsedMs)}`).join(', '), {dim: true}),
          ],
        ]
      : []
  // As under the plan: what the configuration implies is counted on its own line (issue 14).
  const i = d.implied
  const implied: StyledLine[] =
    i && i.added + i.changed + i.destroyed > 0
      ? [[seg(`Implied, not declared: ${i.added} added, ${i.changed} changed, ${i.destroyed} destroyed.`, {dim: true})]]
      : []
  if (d.ok)
    return [
      [seg('Apply complete!', {color: 'green', bold: true}), seg(` ${counts}.`, {color: 'green'})],
      ...implied,
      ...slowest,
    ]
  const out: StyledLine[] = [
    [seg('Apply failed!', {color: 'red', bold: true}), seg(` ${counts}; ${d.failed} failed, ${d.skipped} skipped.`)],
    ...implied,
  ]
  if (snap.failed.length > 0) out.push([seg('  Failed:  ', {color: 'red'}), seg(listed(snap.failed))])
  if (snap.skipped.length > 0)
    out.push([seg('  Skipped: ', {color: 'yellow'}), seg(listed(snap.skipped)), seg(' (not attempted)', {dim: true})])
  if (snap.running.length > 0)
    out.push([seg('  Unfinished: ', {color: 'red'}), seg(listed(snap.running.map((e) => e.address)))])
  return [...out, ...slowest]
}
