// How apply and destroy confirm and report; the pipeline itself (refresh, plan or
// check a saved plan, the SSH guard, apply) is src/services/pipeline.ts. Shows the
// plan, asks on a terminal (a saved plan was reviewed already), follows the apply
// with progress, and says what did not happen.
import type {ApplyResult} from '../apply/engine.js'
import {AbortError} from '../errors.js'
import type {Plan, PlanMode} from '../plan/types.js'
import {applyPrepared, throwFailingAssertions} from '../services/pipeline.js'
import {preparePlan, throwPlanErrors} from '../services/prepare.js'
import {readPlanFile} from '../services/planfile.js'
import {recordRefreshed, refreshChangesState} from '../services/refresh-only.js'
import {openSession, type Session} from '../services/session.js'
import {findSshSession, type SshSession} from '../services/ssh-session.js'
import {askApproval, createApplyReporter, renderPlan} from '../ui/index.js'
import type {ArmedConfirmation} from '../services/confirm.js'
import {formatDuration} from '../state/index.js'
import {awaitConfirmation, confirmWindow} from './confirm-flow.js'
import {ExitCode} from './exit-codes.js'
import {terminal} from './io.js'
import {oclifErrors} from './oclif-errors.js'
import {sessionOptions, type SharedFlags} from './session-flags.js'

export interface ApplyFlags extends SharedFlags {
  target?: string[]
  /** apply only (destroy has none). */
  replace?: string[]
  json: boolean
  'no-tty': boolean
  verbose: boolean
  'auto-approve': boolean
  'allow-lockout': boolean
  'ssh-client'?: string
  'confirm-within'?: string
  input: boolean
  parallelism: number
}

export interface ApplyFlowIO {
  log: (line: string) => void
  warn: (line: string) => void
  /** How to start `dockwall rollback-timer` (node and this CLI's bin script), for --confirm-within. */
  timerCommand: readonly string[]
}

function failureMessage(result: ApplyResult): string {
  const lines = ['apply did not complete:']
  for (const f of result.failed) lines.push(`  ${f.address}: ${f.error}`)
  for (const s of result.skipped) lines.push(`  ${s.address}: not attempted (${s.reason})`)
  for (const t of result.transactions)
    lines.push(
      `  ${t.family === 'ipv4' ? 'iptables' : 'ip6tables'} ${t.namespace}/${t.table}: ${t.committed ? 'committed' : `NOT committed (${t.error ?? 'failed'})`}`,
    )
  lines.push('The state records exactly what was done; run `dockwall plan` to see what remains.')
  return lines.join('\n')
}

/** Asks for `yes` on stdin (a terminal or a pipe, as Terraform reads it); throws unless approved. */
async function approve(plan: Plan, flags: ApplyFlags, color: boolean, verb: string): Promise<void> {
  if (!flags.input)
    throw new AbortError(
      `${verb} needs confirmation, and --input=false says not to ask`,
      'review the plan, then run again with --auto-approve, or save it with `dockwall plan --out FILE` and apply that file',
    )
  // As Terraform: the answer is one line of stdin, a terminal or a pipe (`echo yes | dockwall apply`).
  const answer = await askApproval(plan, {stdin: process.stdin, stdout: process.stdout, color})
  if (answer === 'no-answer')
    throw new AbortError(
      `${verb} needs confirmation, and standard input ended without an answer`,
      'review the plan, then run again with --auto-approve, or save it with `dockwall plan --out FILE` and apply that file',
    )
  if (answer === 'declined') throw new AbortError(`${verb === 'destroy' ? 'Destroy' : 'Apply'} cancelled.`)
}

/**
 * apply --refresh-only: the drift shown above goes into the state after a `yes` (or
 * --auto-approve, or a saved plan), in one atomic write; the host is not touched.
 */
async function applyRefreshOnly(
  session: Session,
  plan: Plan,
  saved: boolean,
  flags: ApplyFlags,
  color: boolean,
): Promise<void> {
  if (!refreshChangesState(session, plan)) {
    if (!flags.json) process.stdout.write('\nNothing to record: the state already says what refresh found.\n')
    return
  }
  if (!saved && !flags['auto-approve']) await approve(plan, flags, color, 'apply --refresh-only')
  const report = createApplyReporter(flags.json ? 'json' : 'text', {stdout: process.stdout, color})
  const started = Date.now()
  report.listener({type: 'apply_start', total: 0})
  const written = await recordRefreshed(session, plan)
  report.listener({type: 'state_saved', serial: written.serial})
  const elapsedMs = Date.now() - started
  report.listener({type: 'apply_done', ok: true, added: 0, changed: 0, destroyed: 0, failed: 0, skipped: 0, elapsedMs})
  await report.done()
}

/**
 * --lock=false with the confirm window is refused before anything is read: the detached
 * rollback timer takes the state lock to restore the previous rules and state, and an
 * apply that holds none could race it. The window is on when --confirm-within names a
 * duration, and by default whenever an SSH session is known (it then depends on the
 * plan, which is not made yet): only an explicit `--confirm-within off` goes without it.
 */
export function refuseUnlockedConfirm(
  flags: Pick<ApplyFlags, 'lock' | 'confirm-within'>,
  ssh: SshSession | undefined,
  verb: string,
): void {
  if (flags.lock !== false) return
  const flag = flags['confirm-within']
  if (flag === 'off' || flag?.trim() === '0') return
  if (flag === undefined && !ssh) return
  const why =
    flag === undefined
      ? `over SSH (from ${ssh!.clientIp}, by ${ssh!.source}) --confirm-within is on by default`
      : `--confirm-within ${flag} was given`
  // A CLIError: printed as oclif prints a usage error (BaseCommand.catch hands it to oclif).
  throw new (oclifErrors().CLIError)(
    `--lock=false cannot be used with --confirm-within: ${why}, and its rollback timer holds the state lock until the changes are confirmed or rolled back. Nothing was done.`,
    {
      exit: ExitCode.Error,
      suggestions: [
        `add --confirm-within off to ${verb} without the confirm window and without the lock, or drop --lock=false`,
      ],
    },
  )
}

export async function runApply(
  flags: ApplyFlags,
  mode: PlanMode,
  planFile: string | undefined,
  io: ApplyFlowIO,
): Promise<void> {
  const term = terminal(flags['no-tty'])
  // Before anything else: a session that cannot be read is an error, whatever the plan.
  const ssh = await findSshSession({flag: flags['ssh-client'], env: process.env})
  const verb = mode === 'destroy' ? 'destroy' : 'apply'
  refuseUnlockedConfirm(flags, ssh, verb)
  const saved = planFile ? await readPlanFile(planFile) : undefined
  const opts = sessionOptions(flags, mode === 'destroy' ? 'destroy' : 'apply', io.warn)
  if (saved) {
    opts.model = saved.model
    opts.state ??= saved.statePath
  }
  const session = await openSession(opts)
  let armed: ArmedConfirmation | undefined
  let failure: string | undefined
  // Progress of the confirmation: beside the plan and the apply log, or on stderr when stdout is JSON.
  const say = (line: string): void => void (flags.json ? process.stderr : process.stdout).write(`${line}\n`)
  try {
    const prepared = await preparePlan(
      session,
      saved
        ? {saved: saved.plan, ...(saved.hostParts ? {hostParts: saved.hostParts} : {})}
        : {mode, targets: flags.target ?? [], replace: flags.replace ?? []},
    )
    throwPlanErrors(prepared)
    const {plan, assertions} = prepared
    if (!flags.json)
      process.stdout.write(renderPlan(plan, {color: term.color, width: term.width, verbose: flags.verbose, assertions}))
    // Before asking: a plan whose assertions fail is refused whatever the answer would be.
    throwFailingAssertions(prepared, 'failing')
    if (prepared.work === 'none') return
    if (plan.mode === 'refresh-only') return await applyRefreshOnly(session, plan, prepared.saved, flags, term.color)
    if (prepared.work === 'changes' && !prepared.saved && !flags['auto-approve'])
      await approve(plan, flags, term.color, verb)
    const window = prepared.work === 'changes' ? confirmWindow(flags['confirm-within'], ssh, plan) : undefined
    if (window?.byDefault)
      say(
        `Over SSH, with changes on the path into the host: they roll back in ${formatDuration(window.ms)} unless confirmed (--confirm-within off to skip).`,
      )
    const result = await applyPrepared(session, prepared, {
      allowLockout: flags['allow-lockout'],
      ssh,
      warn: io.warn,
      ...(window ? {confirm: {windowMs: window.ms, timerCommand: io.timerCommand}} : {}),
      parallelism: flags.parallelism,
      report: () =>
        createApplyReporter(flags.json ? 'json' : term.interactive ? 'ink' : 'text', {
          stdout: process.stdout,
          color: term.color,
        }),
    })
    armed = result.armed
    if (!result.ok) failure = failureMessage(result)
  } finally {
    // The lock goes before the wait: the rollback timer takes it if no one confirms.
    await session.close()
  }
  if (armed) {
    const stdin = term.interactive ? process.stdin : undefined
    await awaitConfirmation(armed, {say, ...(stdin ? {stdin} : {})})
  }
  if (failure) throw new AbortError(failure)
}
