// The interactive plan as a new user meets it (issue 4): the built CLI in a real
// terminal, tmux at 80x24, against a sandbox on both iptables backends. Keys go in
// with `send-keys`; the screen comes back with `capture-pane -p`, polled until the
// expected text shows (or a timeout, which prints the last screen). The tmux server
// is private to this file (`-L`, no user configuration) and gets a clean
// environment: no CI (which turns the interactive view off), no colour settings.
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Backend} from '../sandbox/index.js'
import {REPO_ROOT} from '../helpers/cli.js'
import {useSandbox} from '../helpers/sandbox.js'
import {fixturePath, workdir} from './dockwall-e2e.js'

const COLUMNS = 80
const ROWS = 24
const SESSION = 'plan'
const EXITED = 'dockwall exited with '

const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`

describe.each(['nft', 'legacy'] as const)('interactive plan in tmux at 80x24, %s backend', (backend: Backend) => {
  const sandbox = useSandbox(backend)
  const dir = workdir(`plan-tui-${backend}`)
  const socket = `dockwall-e2e-${process.pid}-${backend}`
  const env = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: dir.path,
    SHELL: '/bin/sh',
    TERM: 'xterm-256color',
    LANG: 'C.UTF-8',
  }

  const tmux = (args: readonly string[]) =>
    execa('tmux', ['-L', socket, '-f', '/dev/null', ...args], {env, extendEnv: false})
  const screen = async (joined = false): Promise<string> =>
    (await tmux(['capture-pane', '-p', ...(joined ? ['-J'] : []), '-t', SESSION])).stdout

  /** Polls the pane until `ok(screen)` holds; fails with the last screen after `timeoutMs`. */
  async function waitForScreen(what: string, ok: (s: string) => boolean, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    let last = ''
    for (;;) {
      last = await screen()
      if (ok(last)) return last
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen shows:\n${last}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  const selected = (s: string): string =>
    s
      .split('\n')
      .find((l) => l.startsWith('›'))
      ?.trim() ?? ''
  /** The screen as one line, wrapped lines joined: iptables lines wrap at 80 columns. */
  const flat = (s: string): string => s.replaceAll(/\s+/g, ' ')
  const position = (s: string): string =>
    /(\d+\/\d+)(?: [↑↓]+)?\s*$/m.exec(
      s
        .split('\n')
        .filter((l) => l.includes('q quit'))
        .join(''),
    )?.[1] ?? ''

  /** Every line fits 80 columns (tmux -J joins what the terminal had to wrap) and the view fits 24 rows. */
  async function expectReadable(): Promise<void> {
    const lines = (await screen(true)).split('\n')
    expect(lines.length).toBeLessThanOrEqual(ROWS)
    for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(COLUMNS)
  }

  beforeAll(async () => {
    // The empty host of plan.test.ts: web and db on a network dockwall does not manage.
    const sb = sandbox()
    await sb.createNetwork('dw-lan', '10.77.9.0/24')
    await sb.runContainer('dw-web', {network: 'dw-lan', ip: '10.77.9.10'})
    await sb.runContainer('dw-db', {network: 'dw-lan', ip: '10.77.9.20'})
  })
  afterAll(async () => {
    await tmux(['kill-server']).catch(() => undefined)
    dir.remove()
  })

  it('shows the summary; j/k move, enter expands a change with its iptables lines, / filters, q quits with 0', async () => {
    const sb = sandbox()
    // Twelve declared objects; the list also holds what they imply: dockwall's chains (input_policy =
    // "drop" closes both families, so the ip6tables input chain is one; Docker 28+ adds dockwall's raw
    // chain, its openings past Docker's raw drops). The summary counts the declared ones (issue 14).
    const declared = 12
    const chains = sb.engine.major >= 28 ? 7 : 6
    const n = declared + chains
    const summary = `Plan: ${declared} to add, 0 to change, 0 to destroy.`
    const argv = [
      'nsenter',
      `--net=${sb.netnsPath}`,
      '--',
      process.execPath,
      join(process.env.DOCKWALL_CLI_ROOT ?? REPO_ROOT, 'bin', 'run.js'),
      'plan',
      '--netns',
      sb.netnsPath,
      '--docker-host',
      sb.dockerHost,
      '-c',
      fixturePath('plan-every-block', 'config'),
      '--state',
      join(dir.path, 'dockwall.state.json'),
    ]
    const command = `cd ${quote(dir.path)} && DOCKWALL_CACHE_DIR=${quote(join(dir.path, '.cache'))} ${argv.map(quote).join(' ')}; echo "${EXITED}$?"; sleep 600`
    await tmux(['new-session', '-d', '-x', String(COLUMNS), '-y', String(ROWS), '-s', SESSION, command])

    // The summary and the first change, selected.
    let s = await waitForScreen('the plan summary', (x) => x.includes(summary) && position(x) === `1/${n}`)
    expect(s.split('\n')[0]).toBe(summary)
    expect(s.split('\n')[1]).toBe(`${chains} implied (${chains} dockwall chains)`)
    expect(s).toContain('↑↓/jk move · enter/space expand · / filter · q quit')
    const first = selected(s)
    expect(first).toMatch(/^› +\+ \S+ +create$/)
    await expectReadable()

    // j moves down, k back up.
    await tmux(['send-keys', '-t', SESSION, 'j'])
    s = await waitForScreen('the selection to move down', (x) => position(x) === `2/${n}`)
    expect(selected(s)).not.toBe(first)
    await tmux(['send-keys', '-t', SESSION, 'k'])
    s = await waitForScreen('the selection to move back up', (x) => position(x) === `1/${n}`)
    expect(selected(s)).toBe(first)

    // Down to rule.web_to_db (the view scrolls), then enter expands it.
    for (let i = 2; i <= n && !selected(s).includes('rule.web_to_db'); i++) {
      await tmux(['send-keys', '-t', SESSION, 'j'])
      s = await waitForScreen(`item ${i}`, (x) => position(x) === `${i}/${n}`)
    }
    expect(selected(s)).toMatch(/^› +\+ rule\.web_to_db +create$/)
    await tmux(['send-keys', '-t', SESSION, 'Enter'])
    s = await waitForScreen('the expanded rule', (x) => x.includes('# iptables: host, filter table'))
    expect(s).toContain('+ to       = ["container.db"]')
    expect(flat(s)).toContain(
      '+ -A DOCKWALL-FORWARD -s 10.77.1.10/32 -d 10.77.2.20/32 -p tcp -m tcp --dport 5432 -m comment --comment "dockwall:rule.web_to_db" -j ACCEPT',
    )
    await expectReadable()
    // enter again collapses it.
    await tmux(['send-keys', '-t', SESSION, 'Enter'])
    s = await waitForScreen('the rule collapsed', (x) => !x.includes('# iptables:'))
    expect(selected(s)).toMatch(/rule\.web_to_db/)

    // / filters by address.
    await tmux(['send-keys', '-t', SESSION, '/'])
    await tmux(['send-keys', '-t', SESSION, '-l', 'ssh'])
    await tmux(['send-keys', '-t', SESSION, 'Enter'])
    s = await waitForScreen(
      'the filtered list',
      (x) => x.includes(`Filter: "ssh" (1 of ${n})`) && !x.includes('rule.web_to_db'),
    )
    expect(selected(s)).toMatch(/^› +\+ rule\.ssh_from_lan +create$/)
    expect(s).not.toContain('network.front')
    await expectReadable()

    // q quits, with exit code 0; the terminal keeps the last frame, and below it the plan that
    // was reviewed, in full, as text (issue 14): the scrollback keeps the record.
    await tmux(['send-keys', '-t', SESSION, 'q'])
    s = await waitForScreen('dockwall to exit', (x) => x.includes(EXITED))
    expect(s).toContain(`${EXITED}0`)
    const scrollback = (await tmux(['capture-pane', '-p', '-J', '-S', '-', '-t', SESSION])).stdout
    const record = scrollback.slice(scrollback.lastIndexOf('dockwall will perform the following actions:'))
    expect(record).toContain('# rule.web_to_db will be created')
    expect(flat(record)).toContain(
      '+ -A DOCKWALL-FORWARD -s 10.77.1.10/32 -d 10.77.2.20/32 -p tcp -m tcp --dport 5432 -m comment --comment "dockwall:rule.web_to_db" -j ACCEPT',
    )
    expect(record).toContain('# network.front will be created')
    expect(record.trimEnd()).toMatch(
      new RegExp(
        `Plan: ${declared} to add, 0 to change, 0 to destroy\\.\\s+Implied, not declared: ${chains} to add, 0 to change, 0 to destroy \\(${chains} dockwall chains\\)\\.\\s+${EXITED}0$`,
      ),
    )
  })
})
