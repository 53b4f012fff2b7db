// A long dockwall chain changed in one rule is edited in place by the apply (one delete,
// one insert, in one iptables-restore --noflush transaction) instead of being emptied and
// written whole (issue 13: nft's restore rewrites every rule of a chain it is given). On real
// iptables, both backends: the changed rule lets through exactly the new port, and the
// chain left is the one a fresh apply writes, line for line.
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {PlanJson} from '../../src/ui/index.js'
import {EDIT_MIN_LINES} from '../../src/plan/firewall-changes.js'
import {BACKENDS, useSandbox} from '../helpers/sandbox.js'
import {chainRules, dockwall, expectExit, hostArgs, parseJson, workdir} from './dockwall-e2e.js'

/** Rules that match nothing here, before and after the one that matters, so it sits mid-chain. */
function fillers(prefix: string, count: number, base: number): string {
  return Array.from(
    {length: count},
    (_, i) => `rule "${prefix}${String(i).padStart(3, '0')}" {
  from  = "10.201.${base + (i >> 8)}.${i & 255}"
  to    = "172.31.0.0/16"
  proto = "tcp"
  port  = ${1000 + i}
}
`,
  ).join('\n')
}

function config(port: number): string {
  const half = EDIT_MIN_LINES / 2 + 10
  return `network "front" {
  name    = "ce-front"
  subnet  = "10.72.1.0/24"
  gateway = "10.72.1.1"
}

container "web" {
  name = "ce-web"
  network "front" {
    ipv4_address = "10.72.1.10"
  }
}

rule "m_cli_to_web" {
  from  = "10.72.2.20"
  to    = container.web
  proto = "tcp"
  port  = ${port}
}

${fillers('a', half, 0)}
${fillers('z', half, 10)}`
}

describe.each(BACKENDS)('a long chain changed in one rule (%s)', (backend) => {
  const sandbox = useSandbox(backend)
  const dir = workdir(`chain-edit-${backend}`)
  const run = (args: readonly string[]) => dockwall(sandbox(), dir.path, [...args, ...hostArgs(sandbox())])

  beforeAll(async () => {
    const sb = sandbox()
    await sb.createNetwork('ce-back', '10.72.2.0/24', '10.72.2.1')
    await sb.runContainer('ce-cli', {network: 'ce-back', ip: '10.72.2.20'})
  })
  afterAll(() => dir.remove())

  it('is edited in place, lets through the new port only, and holds what a fresh apply writes', async () => {
    const sb = sandbox()
    const write = (port: number) => writeFileSync(join(dir.path, 'main.hcl'), config(port))
    write(80)
    expectExit(await run(['apply', '--auto-approve', '--no-color']), 0)
    await sb.runContainer('ce-web', {network: 'ce-front', ip: '10.72.1.10'})
    expect(await sb.canConnect({from: 'ce-cli', to: '10.72.1.10', port: 80})).toBe(true)
    expect(await sb.canConnect({from: 'ce-cli', to: '10.72.1.10', port: 81})).toBe(false)

    // When the rule's port changes
    write(81)
    const planned = parseJson<PlanJson>(expectExit(await run(['plan', '--json']), 0))
    const filter = planned.firewall_transactions.find((t) => t.namespace === 'host' && t.table === 'filter')!
    // Then the transaction edits the chain: no declaration (which empties it), one delete, one insert
    expect(filter.input).not.toContain(':DOCKWALL-FORWARD - [0:0]')
    const forward = filter.input.split('\n').filter((l) => / DOCKWALL-FORWARD /.test(l))
    expect(forward).toEqual([
      expect.stringMatching(/^-D DOCKWALL-FORWARD -s 10\.72\.2\.20\/32 -d 10\.72\.1\.10\/32 .*--dport 80 /),
      expect.stringMatching(/^-I DOCKWALL-FORWARD \d+ -s 10\.72\.2\.20\/32 -d 10\.72\.1\.10\/32 .*--dport 81 /),
    ])
    expectExit(await run(['apply', '--auto-approve', '--no-color']), 0)
    expect(await sb.canConnect({from: 'ce-cli', to: '10.72.1.10', port: 81})).toBe(true)
    expect(await sb.canConnect({from: 'ce-cli', to: '10.72.1.10', port: 80})).toBe(false)
    expectExit(await run(['plan', '--detailed-exitcode', '--no-color']), 0)
    const edited = chainRules(await sb.iptablesSave(), 'filter', 'DOCKWALL-FORWARD')
    expect(edited.length).toBeGreaterThan(EDIT_MIN_LINES)

    // And the chain is what a fresh apply of the same configuration writes
    expectExit(await run(['destroy', '--auto-approve', '--no-color']), 0)
    expect(chainRules(await sb.iptablesSave(), 'filter', 'DOCKWALL-FORWARD')).toEqual([])
    expectExit(await run(['apply', '--auto-approve', '--no-color']), 0)
    expect(chainRules(await sb.iptablesSave(), 'filter', 'DOCKWALL-FORWARD')).toEqual(edited)
  })
})
