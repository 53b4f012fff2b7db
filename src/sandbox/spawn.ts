// The two ways the sandbox starts programs that src/util/exec.ts `run()` does not
// cover; both use execa with an argument array, never a shell:
//
// - spawnDaemon: dockerd and containerd are long-running. They are detached (their
//   own session, so a Ctrl-C in the terminal reaches us first and we stop them in
//   order), write straight to a log file, and are unref'd so a forgotten sandbox does
//   not keep Node alive (the exit hook and `Sandbox.gc()` reap it instead).
// - runSync: teardown must also work from a process 'exit' handler, where Node runs
//   only synchronous code. It is used for the short teardown commands (umount,
//   ip netns delete) and nothing else.
import {closeSync, openSync} from 'node:fs'

import {execa, execaSync} from 'execa'

export interface Daemon {
  pid: number
  /** Settles when the process exits (never rejects). */
  exited: Promise<{exitCode?: number; signal?: string}>
  hasExited(): boolean
}

export function spawnDaemon(argv: readonly string[], opts: {logFile: string; env: Record<string, string>}): Daemon {
  const [file, ...args] = argv
  if (!file) throw new Error('spawnDaemon: empty argv')
  // The log file's descriptor goes to the child as is (execa's `{file}` would pipe through us,
  // and the daemon would get SIGPIPE once we are gone). execa's types list only the literals
  // 3 to 9 for descriptors; any open descriptor works at runtime.
  const fd = openSync(opts.logFile, 'a') as 3
  try {
    const subprocess = execa(file, args, {
      detached: true,
      cleanup: false,
      reject: false,
      stdin: 'ignore',
      stdout: fd,
      stderr: fd,
      env: opts.env,
      extendEnv: false,
    })
    const pid = subprocess.pid
    if (pid === undefined) throw new Error(`could not start ${argv.join(' ')}`)
    subprocess.unref()
    let done = false
    const exited = subprocess.then(
      (result) => {
        done = true
        return {exitCode: result.exitCode, signal: result.signal}
      },
      () => {
        done = true
        return {}
      },
    )
    return {pid, exited, hasExited: () => done}
  } finally {
    closeSync(fd)
  }
}

export interface SyncResult {
  exitCode: number
  stdout: string
  stderr: string
}

export function runSync(file: string, args: readonly string[], opts: {timeoutMs?: number} = {}): SyncResult {
  const result = execaSync(file, args, {reject: false, stdin: 'ignore', timeout: opts.timeoutMs ?? 20_000})
  return {
    exitCode: result.exitCode ?? -1,
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    stderr: typeof result.stderr === 'string' ? result.stderr : (result.shortMessage ?? ''),
  }
}
