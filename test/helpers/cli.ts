// Runs the built CLI (bin/run.js, after `npm run build`) as a user would, optionally
// inside a sandbox's network namespace, and returns what it printed and its exit code.
import {fileURLToPath} from 'node:url'

import {execa} from 'execa'

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface CliResult {
  stdout: string
  stderr: string
  exitCode: number
}

export interface CliOptions {
  env?: Record<string, string>
  input?: string
  cwd?: string
  /** Run inside this network namespace (a sandbox's `netnsPath`) through nsenter. */
  netns?: string
  timeoutMs?: number
}

export async function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  const node = process.execPath
  // DOCKWALL_CLI_ROOT: run a build copied elsewhere (so a rebuild of dist/ cannot disturb a long test run).
  const bin = `${process.env.DOCKWALL_CLI_ROOT ?? REPO_ROOT}/bin/run.js`.replace(/\/\/bin/, '/bin')
  const [file, ...argv] = opts.netns
    ? ['nsenter', `--net=${opts.netns}`, '--', node, bin, ...args]
    : [node, bin, ...args]
  const result = await execa(file as string, argv, {
    cwd: opts.cwd ?? REPO_ROOT,
    // stdin always ends: a command that prompts sees end of input instead of hanging.
    input: opts.input ?? '',
    reject: false,
    stripFinalNewline: false,
    timeout: opts.timeoutMs ?? 60_000,
    // Stable output: fixed width, no colour, no CI-specific behaviour leaking from the runner.
    // SSH_CONNECTION empty: no SSH session (the runner's own, if any, is not the sandbox's; the
    // lockout guard's tests set it), and the guard does not look for one in the process tree.
    env: {COLUMNS: '100', NO_COLOR: '1', FORCE_COLOR: '0', SSH_CONNECTION: '', ...opts.env},
  })
  return {stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? -1}
}
