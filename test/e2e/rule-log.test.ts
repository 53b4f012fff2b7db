// Log rules (`action = "log"`) against a real engine on both backends: the one e2e test a
// new kind of rule needs (docs/ARCHITECTURE.md, "Adding a resource type"). Applied, the
// LOG line is in dockwall's chain before the accept it shows, counts the packets of a
// real connection without stopping it, refreshes back unchanged, and destroy removes it.
//
// The kernel writes LOG lines to its log only from the initial network namespace (unless
// net.netfilter.nf_log_all_netns = 1, a host-wide setting this test leaves alone), so the
// LOG rule's packet counter is what shows that it saw the traffic.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli, type CliResult} from '../helpers/cli.js'
import {BACKENDS, useSandbox} from '../helpers/sandbox.js'

const CONFIG = `
rule "cli_to_web" {
  from = "10.31.1.0/24"
  to   = "10.31.2.10"
  port = 8080
}

rule "log_cli_to_web" {
  from       = "10.31.1.0/24"
  to         = "10.31.2.10"
  port       = 8080
  action     = "log"
  log_prefix = "dw cli to web: "
  priority   = 90
}
`

const LOG_LINE =
  '-A DOCKWALL-FORWARD -s 10.31.1.0/24 -d 10.31.2.10/32 -p tcp -m tcp --dport 8080 -m comment --comment "dockwall:rule.log_cli_to_web" -j LOG --log-prefix "dw cli to web: "'
const ACCEPT_LINE =
  '-A DOCKWALL-FORWARD -s 10.31.1.0/24 -d 10.31.2.10/32 -p tcp -m tcp --dport 8080 -m comment --comment "dockwall:rule.cli_to_web" -j ACCEPT'

describe.each(BACKENDS)('log rules on %s', (backend) => {
  const sandbox = useSandbox(backend)
  let dir: string
  const cli = (args: string[]): Promise<CliResult> =>
    runCli(
      [
        ...args,
        '-c',
        dir,
        '--state',
        path.join(dir, 'state.json'),
        '--netns',
        sandbox().netnsPath,
        '--docker-host',
        sandbox().dockerHost,
      ],
      {env: {DOCKWALL_CACHE_DIR: path.join(dir, 'cache')}, timeoutMs: 120_000},
    )
  const forwardLines = async (): Promise<string[]> =>
    (await sandbox().iptablesSave({table: 'filter'})).split('\n').filter((l) => l.startsWith('-A DOCKWALL-FORWARD '))
  /** Packets the LOG line has counted; -1 when it is not there. */
  const logged = async (): Promise<number> => {
    const {stdout} = await sandbox().netnsRun(`iptables-${backend}-save`, ['-c', '-t', 'filter'])
    const line = stdout.split('\n').find((l) => l.includes('dockwall:rule.log_cli_to_web'))
    return Number(/^\[(\d+):/.exec(line ?? '')?.[1] ?? -1)
  }

  beforeAll(async () => {
    const sb = sandbox()
    dir = mkdtempSync(path.join(tmpdir(), `dockwall-log-${backend}-`))
    await sb.createNetwork('log-front', '10.31.1.0/24', '10.31.1.1')
    await sb.createNetwork('log-back', '10.31.2.0/24', '10.31.2.1')
    await sb.runContainer('log-cli', {network: 'log-front', ip: '10.31.1.20'})
    await sb.runContainer('log-web', {network: 'log-back', ip: '10.31.2.10'})
    await sb.listen('log-web', 8080)
    writeFileSync(path.join(dir, 'main.hcl'), CONFIG)
  })

  afterAll(() => {
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  it('writes the LOG line before the accept it shows', async () => {
    // Docker isolates the two networks until dockwall's accept opens the flow.
    expect(await sandbox().canConnect({from: 'log-cli', to: '10.31.2.10', port: 8080})).toBe(false)
    const r = await cli(['apply', '--auto-approve'])
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
    const lines = await forwardLines()
    expect(lines).toContain(LOG_LINE)
    expect(lines.indexOf(LOG_LINE)).toBeLessThan(lines.indexOf(ACCEPT_LINE))
  })

  it('counts the packets of a connection and lets it through', async () => {
    const before = await logged()
    expect(before).toBeGreaterThanOrEqual(0)
    expect(await sandbox().canConnect({from: 'log-cli', to: '10.31.2.10', port: 8080})).toBe(true)
    expect(await logged()).toBeGreaterThan(before)
  })

  it('plans no changes once applied', async () => {
    const r = await cli(['plan', '--detailed-exitcode', '--no-tty'])
    expect(r.stdout).toContain('No changes.')
    expect(r.exitCode).toBe(0)
  })

  it('is removed by destroy', async () => {
    const r = await cli(['destroy', '--auto-approve'])
    expect(r.exitCode).toBe(0)
    expect(await logged()).toBe(-1)
    expect(await forwardLines()).toEqual([])
  })
})
