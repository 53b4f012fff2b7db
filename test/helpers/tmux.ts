// A real terminal for e2e tests: a private tmux server (`-L`, no user configuration, a
// clean environment without CI, which turns interactive views off), one session running
// a command; keys go in with send-keys, the screen comes back with capture-pane, polled
// until the expected text shows or a deadline passes (the failure prints the last screen).
import {execa} from 'execa'

const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`

/** Printed after the command ends, with its exit code: `waitForExit` reads it. */
const EXITED = 'command exited with '

export class Tmux {
  private readonly env: Record<string, string>

  constructor(
    private readonly socket: string,
    home: string,
    readonly columns = 100,
    readonly rows = 30,
  ) {
    this.env = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: home,
      SHELL: '/bin/sh',
      TERM: 'xterm-256color',
      LANG: 'C.UTF-8',
    }
  }

  private tmux(args: readonly string[]) {
    return execa('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], {env: this.env, extendEnv: false})
  }

  /** Starts `argv` in `cwd` with `env` in a new session (killing a previous one of that name). */
  async start(session: string, cwd: string, argv: readonly string[], env: Record<string, string> = {}): Promise<void> {
    await this.tmux(['kill-session', '-t', session]).catch(() => undefined)
    const vars = Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`)
    const command = `cd ${quote(cwd)} && ${[...vars, ...argv.map(quote)].join(' ')}; echo "${EXITED}$?"; sleep 600`
    await this.tmux(['new-session', '-d', '-x', String(this.columns), '-y', String(this.rows), '-s', session, command])
  }

  /** The pane and its scrollback; with `escapes`, the colours and attributes as escape sequences. */
  async screen(session: string, opts: {escapes?: boolean} = {}): Promise<string> {
    const e = opts.escapes ? ['-e'] : []
    return (await this.tmux(['capture-pane', '-p', '-J', ...e, '-S', '-', '-t', session])).stdout
  }

  /** Types text (literally), then presses Enter when asked. */
  async type(session: string, text: string, enter = true): Promise<void> {
    await this.tmux(['send-keys', '-t', session, '-l', text])
    if (enter) await this.tmux(['send-keys', '-t', session, 'Enter'])
  }

  /** Polls the screen (with its scrollback) until `ok(screen)` holds. */
  async waitFor(session: string, what: string, ok: (s: string) => boolean, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const s = await this.screen(session)
      if (ok(s)) return s
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen shows:\n${s}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  /** Waits for the command to end; returns its exit code and the whole screen. */
  async waitForExit(session: string, timeoutMs = 120_000): Promise<{exitCode: number; screen: string}> {
    const s = await this.waitFor(session, 'the command to exit', (x) => x.includes(EXITED), timeoutMs)
    const code = new RegExp(`${EXITED}(\\d+)`).exec(s)?.[1]
    return {exitCode: Number(code), screen: s.slice(0, s.lastIndexOf(EXITED))}
  }

  async kill(): Promise<void> {
    await this.tmux(['kill-server']).catch(() => undefined)
  }
}
