// Every external program dockwall runs goes through here: execa with an argument
// array (never a shell string), optionally inside a network namespace.
import {accessSync, constants} from 'node:fs'

import {execa} from 'execa'

import {ExternalError} from '../errors.js'

/** Where a command runs: the current namespace, a named one (`--netns`), or a process's (container PID). */
export type NetnsTarget = {kind: 'current'} | {kind: 'path'; path: string} | {kind: 'pid'; pid: number}

export interface RunOptions {
  netns?: NetnsTarget
  input?: string
  /** Exit codes that are not errors (the caller inspects `exitCode`). */
  okExitCodes?: number[]
  env?: Record<string, string>
  timeoutMs?: number
  /**
   * Kill the child (SIGKILL) when dockwall dies, through `setpriv --pdeathsig KILL`. For
   * children that change the host: an orphaned iptables-restore keeps reading its input
   * (or waiting for the xtables lock) and commits after a SIGKILLed apply, racing the next.
   */
  dieWithParent?: boolean
  /** Kills the child when aborted (the run then fails): a read started early that is no longer wanted. */
  cancelSignal?: AbortSignal
}

export interface RunResult {
  stdout: string
  stderr: string
  exitCode: number
  command: string[]
}

/** The argv prefix that enters a namespace: nsenter with flags only, no shell. */
export function netnsPrefix(target: NetnsTarget | undefined): string[] {
  if (!target || target.kind === 'current') return []
  if (target.kind === 'path') return ['nsenter', `--net=${target.path}`, '--']
  if (!Number.isInteger(target.pid) || target.pid <= 0) throw new Error(`invalid PID for nsenter: ${target.pid}`)
  return ['nsenter', '-t', String(target.pid), '-n', '--']
}

/**
 * setpriv (util-linux, like nsenter) sets PR_SET_PDEATHSIG, then execs: the death signal
 * survives execve (for binaries that are not set-user-ID), and nsenter entering only a
 * network namespace execs without forking, so the program itself carries it. It fires
 * when the thread that spawned it exits, which for Node is the main thread (libuv spawns
 * there). A parent killed before setpriv's prctl leaves the child an orphan still: that
 * window is the fork-to-prctl of a fresh process, not the seconds of a restore.
 */
export const DIE_WITH_PARENT_PREFIX: readonly string[] = ['setpriv', '--pdeathsig', 'KILL', '--']

/**
 * The argv `run` starts, and the one it reports (`command`, error messages): the
 * setpriv prefix is left out of the latter, it says nothing about what failed.
 */
export function commandLine(
  file: string,
  args: readonly string[],
  opts: Pick<RunOptions, 'netns' | 'dieWithParent'> = {},
  setprivFound: () => boolean = setprivOnPath,
): {spawn: string[]; shown: string[]} {
  const shown = [...netnsPrefix(opts.netns), file, ...args]
  return {spawn: opts.dieWithParent && setprivFound() ? [...DIE_WITH_PARENT_PREFIX, ...shown] : shown, shown}
}

/** Whether an executable `name` is in one of PATH's directories. */
export function onPath(name: string, path: string | undefined): boolean {
  return (path ?? '').split(':').some((dir) => {
    if (dir === '') return false
    try {
      accessSync(`${dir}/${name}`, constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

let setprivKnown: boolean | undefined

/**
 * setpriv is util-linux's, like nsenter, but a minimal host may lack it: there the child
 * runs as before (it may then outlive a killed dockwall) rather than fail to start.
 */
function setprivOnPath(): boolean {
  setprivKnown ??= onPath('setpriv', process.env.PATH)
  return setprivKnown
}

export async function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const {spawn, shown: argv} = commandLine(file, args, opts)
  const [cmd, ...rest] = spawn as [string, ...string[]]
  const result = await execa(cmd, rest, {
    input: opts.input,
    reject: false,
    stripFinalNewline: false,
    env: opts.env,
    timeout: opts.timeoutMs,
    ...(opts.cancelSignal ? {cancelSignal: opts.cancelSignal} : {}),
  })
  const exitCode = result.exitCode ?? -1
  const out: RunResult = {stdout: result.stdout, stderr: result.stderr, exitCode, command: argv}
  const ok = exitCode === 0 || (opts.okExitCodes ?? []).includes(exitCode)
  if (!ok || (result.failed && result.exitCode === undefined)) {
    const why = result.exitCode === undefined ? (result.shortMessage ?? 'failed to start') : `exit code ${exitCode}`
    throw new ExternalError(
      `${argv.join(' ')}: ${why}${result.stderr ? `: ${result.stderr.trim()}` : ''}`,
      argv,
      result.stderr,
      exitCode,
    )
  }
  return out
}

/**
 * Starts a program that outlives this process: its own session (setsid), no stdio, not
 * killed when dockwall exits (execa's cleanup off), not waited for. Returns its pid.
 * The rollback timer of `apply --confirm-within` runs this way, so a SIGKILL of the
 * apply, or the SSH session dropping (SIGHUP to its process group), does not stop it.
 */
export function spawnDetached(
  file: string,
  args: readonly string[],
  opts: {env?: Record<string, string>} = {},
): number {
  const child = execa(file, args, {
    detached: true,
    cleanup: false,
    stdio: 'ignore',
    reject: false,
    ...(opts.env ? {env: opts.env} : {}),
  })
  // Its end is not our business; a failure to start shows as a missing readiness file.
  child.catch(() => {})
  child.unref()
  if (child.pid === undefined) throw new ExternalError(`${file}: failed to start`, [file, ...args])
  return child.pid
}
