// apply --confirm-within, the terminal side: when it is on, tell the operator what
// happens, then wait for a key here or for `dockwall confirm` from a new session, and
// report the outcome. The rollback itself is the timer's (src/services/confirm.ts).
import {AbortError, ConfigError} from '../errors.js'
import type {Plan} from '../plan/types.js'
import {
  confirmPending,
  DEFAULT_CONFIRM_MS,
  describeDeadline,
  waitForOutcome,
  type ArmedConfirmation,
} from '../services/confirm.js'
import {planTouchesInputPath} from '../services/lockout.js'
import type {SshSession} from '../services/ssh-session.js'
import {loadModel} from '../services/session.js'
import {formatDuration, parseDuration, resolveStatePath} from '../state/index.js'
import {waitForKey} from '../ui/index.js'

export interface ConfirmWindow {
  ms: number
  /** On because of the SSH session, not because it was asked for. */
  byDefault: boolean
}

/**
 * `--confirm-within DURATION|off`; unset: on (2m) when an SSH session is known and the
 * plan changes the path into the host, off otherwise.
 */
export function confirmWindow(
  flag: string | undefined,
  ssh: SshSession | undefined,
  plan: Plan,
): ConfirmWindow | undefined {
  if (flag !== undefined) {
    if (flag === 'off' || flag.trim() === '0') return undefined
    let ms: number
    try {
      ms = parseDuration(flag)
    } catch (error) {
      throw new AbortError(`--confirm-within: ${(error as Error).message}`, 'for example --confirm-within 2m, or off')
    }
    return {ms, byDefault: false}
  }
  return ssh && planTouchesInputPath(plan) ? {ms: DEFAULT_CONFIRM_MS, byDefault: true} : undefined
}

export interface ConfirmIO {
  /** Progress lines (stdout, or stderr under --json). */
  say: (line: string) => void
  /** A terminal to read a key from (the one that ran apply), when interactive. */
  stdin?: NodeJS.ReadStream
}

/** Waits for the outcome of an armed apply; throws (exit 1) when it was rolled back. */
export async function awaitConfirmation(armed: ArmedConfirmation, io: ConfirmIO): Promise<void> {
  io.say(
    `\nThese changes roll back at ${describeDeadline(armed)} unless confirmed: ${
      io.stdin ? 'press y here, or ' : ''
    }run \`dockwall confirm\` from a new SSH session (which shows that new connections still work).`,
  )
  const abort = new AbortController()
  const key = io.stdin ? waitForKey(io.stdin, ['y', 'Y']) : undefined
  void key?.key.then(async (k) => {
    if (k === 'y' || k === 'Y') {
      const c = await confirmPending(armed.statePath, 'a key on the terminal that ran apply')
      if (c.kind !== 'confirmed') abort.abort()
    } else if (k === 'interrupt') abort.abort()
  })
  let result
  try {
    result = await waitForOutcome(armed, abort.signal)
  } finally {
    key?.cancel()
  }
  if (!result)
    throw new AbortError(
      `not confirmed yet: the changes roll back at ${describeDeadline(armed)} unless \`dockwall confirm\` keeps them`,
    )
  if (result.outcome === 'confirmed') {
    io.say(`Confirmed (${result.detail.join('; ')}): the changes are kept.`)
    return
  }
  throw new AbortError(
    `Not confirmed within ${formatDuration(armed.windowMs)}: rolled back to the rules and state from before the apply.\n${result.detail
      .map((d) => `  ${d}`)
      .join(
        '\n',
      )}${result.ok ? '' : '\nThe rollback did not complete: run `dockwall plan` to see where the host stands.'}`,
  )
}

export interface ConfirmFlags {
  config: string
  state?: string
}

/** `dockwall confirm`: finds the state (--state, else the configuration's setting, else the default) and confirms. */
export async function runConfirm(flags: ConfirmFlags, io: {log: (line: string) => void}): Promise<void> {
  let configured: string | undefined
  if (flags.state === undefined) {
    try {
      configured = (await loadModel({config: flags.config})).model.settings.statePath
    } catch (error) {
      // Without a readable configuration, the default place; the message names the file it looked at.
      if (!(error instanceof ConfigError)) throw error
    }
  }
  const statePath = resolveStatePath(flags.state, configured)
  const by = process.env.SSH_CONNECTION
    ? `SSH_CONNECTION ${process.env.SSH_CONNECTION}`
    : `dockwall confirm (pid ${process.pid})`
  const outcome = await confirmPending(statePath, by)
  if (outcome.kind === 'confirmed') {
    io.log(`Confirmed: the changes applied at ${outcome.pending.createdAt} are kept.`)
    return
  }
  if (outcome.kind === 'none')
    throw new AbortError(
      `nothing waits for confirmation for the state ${statePath}`,
      'give the state of the apply with --state PATH (or -c DIR)',
    )
  const detail = outcome.result ? `\n${outcome.result.detail.map((d) => `  ${d}`).join('\n')}` : ''
  throw new AbortError(
    `too late: the changes were rolled back${outcome.result ? ` at ${outcome.result.at}` : ''}.${detail}`,
  )
}
