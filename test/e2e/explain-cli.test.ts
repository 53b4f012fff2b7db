// `dockwall explain` as a user runs it (the built CLI pointed at a sandbox), checked
// against real connections with nc: a flow Docker allows and one it denies, the same
// denied flow `--planned` with a configuration whose rule opens it (then applied, and
// probed again), and an address on no known network refused with a clear error.
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Decision} from '../../src/explain/index.js'
import {dockwall, expectExit, hostArgs, parseJson, workdir} from './dockwall-e2e.js'
import {BACKENDS, useSandbox} from '../helpers/sandbox.js'

interface ExplainJson {
  verdict: string
  flows: Array<{
    from: string
    to: string
    verdict: string
    decided_by: Decision & {rule?: {owner: {kind: string; address?: string}}}
  }>
}

const CONFIG = `
rule "db_to_web" {
  from  = "10.41.2.30"
  to    = "10.41.1.10"
  proto = "tcp"
  port  = 80
}
`

describe.each(BACKENDS)('dockwall explain against nc (%s)', (backend) => {
  const sandbox = useSandbox(backend)
  const dir = workdir(`explain-${backend}`)

  beforeAll(async () => {
    const sb = sandbox()
    await sb.createNetwork('ec-front', '10.41.1.0/24')
    await sb.createNetwork('ec-back', '10.41.2.0/24')
    await sb.runContainer('ec-web', {network: 'ec-front', ip: '10.41.1.10'})
    await sb.runContainer('ec-api', {network: 'ec-front', ip: '10.41.1.20'})
    await sb.runContainer('ec-db', {network: 'ec-back', ip: '10.41.2.30'})
    await sb.listen('ec-web', 80)
  })
  afterAll(() => dir.remove())

  const explain = async (args: string[]): Promise<ExplainJson> => {
    const sb = sandbox()
    return parseJson<ExplainJson>(expectExit(await dockwall(sb, dir.path, ['explain', ...args, ...hostArgs(sb)]), 0))
  }

  it('answers as nc does: a flow on one network is allowed, one across networks denied by Docker', async () => {
    const sb = sandbox()
    const allowed = await explain(['container.ec-api', 'container.ec-web', '--port', '80', '--json'])
    expect(allowed.verdict).toBe('allow')
    expect(await sb.canConnect({from: 'ec-api', to: '10.41.1.10', port: 80})).toBe(true)

    const denied = await explain(['ec-db', 'ec-web', '--port', '80', '--json'])
    expect(denied.verdict).toBe('deny')
    expect(denied.flows[0]?.decided_by.kind).toBe('rule')
    expect(denied.flows[0]?.decided_by.rule?.owner.kind).toBe('docker')
    expect(await sb.canConnect({from: 'ec-db', to: '10.41.1.10', port: 80})).toBe(false)

    // The text form names the path and the deciding rule's owner.
    const text = expectExit(
      await dockwall(sb, dir.path, ['explain', 'ec-db', 'ec-web', '--port', '80', ...hostArgs(sb)]),
      0,
    ).stdout
    expect(text).toMatch(/^deny: ec-db -> ec-web, tcp port 80$/m)
    expect(text).toMatch(/^decided by host (raw|filter) \S+ rule \d+ \(Docker\): DROP$/m)
    expect(text).toContain('container.ec-db: sent')
  })

  it('answers, fails and warns without oclif (bin/run.js explain route) as through oclif, byte for byte', async () => {
    const sb = sandbox()
    const broken = workdir(`explain-broken-${backend}`)
    writeFileSync(join(broken.path, 'main.hcl'), 'rule "x" {')
    try {
      const lines: Array<[string, string[]]> = [
        [dir.path, ['ec-db', 'ec-web', '--port', '80']],
        [dir.path, ['container.ec-api', 'container.ec-web', '--port=80', '--json', '--no-color']],
        [dir.path, ['ec-db', '10.99.0.5', '--port', '80']],
        [dir.path, ['ec-db', '10.99.0.5', '--port', '80', '--json']],
        [dir.path, ['ec-db', 'ec-web', '--port', '0']],
        [dir.path, ['ec-db', 'ec-web']],
        // A broken configuration: a warning (oclif's format), then the answer.
        [broken.path, ['ec-db', 'ec-web', '--port', '80']],
      ]
      for (const [cwd, args] of lines) {
        const argv = ['explain', ...args, ...hostArgs(sb)]
        const fast = await dockwall(sb, cwd, argv)
        const oclif = await dockwall(sb, cwd, argv, {env: {DOCKWALL_NO_FAST_PATH: '1'}})
        const shape = (r: typeof fast) => ({args, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr})
        expect(shape(fast)).toEqual(shape(oclif))
      }
      expect(
        (await dockwall(sb, broken.path, ['explain', 'ec-db', 'ec-web', '--port', '80', ...hostArgs(sb)])).stderr,
      ).toContain('Warning: configuration not loaded')
    } finally {
      broken.remove()
    }
  })

  it('--planned answers for the plan before apply; after apply the host and nc agree', async () => {
    const sb = sandbox()
    writeFileSync(join(dir.path, 'main.hcl'), CONFIG)
    const planned = await explain(['ec-db', 'ec-web', '--port', '80', '--planned', '--json'])
    expect(planned.verdict).toBe('allow')
    expect(planned.flows[0]?.decided_by.rule?.owner).toEqual({kind: 'dockwall', address: 'rule.db_to_web'})
    // Nothing was applied: the host still denies, and so does the kernel.
    expect((await explain(['ec-db', 'ec-web', '--port', '80', '--json'])).verdict).toBe('deny')
    expect(await sb.canConnect({from: 'ec-db', to: '10.41.1.10', port: 80})).toBe(false)

    expectExit(await dockwall(sb, dir.path, ['apply', '--auto-approve', '--no-tty', ...hostArgs(sb)]), 0)
    const now = await explain(['ec-db', 'ec-web', '--port', '80', '--json'])
    expect(now.verdict).toBe('allow')
    expect(now.flows[0]?.decided_by.rule?.owner).toEqual({kind: 'dockwall', address: 'rule.db_to_web'})
    expect(await sb.canConnect({from: 'ec-db', to: '10.41.1.10', port: 80})).toBe(true)
  })

  it('an address on no known network is an error that says so', async () => {
    const sb = sandbox()
    const r = await dockwall(sb, dir.path, ['explain', 'ec-db', '10.99.0.5', '--port', '80', ...hostArgs(sb)])
    expectExit(r, 1)
    expect(r.stderr).toContain('10.99.0.5 is on no known network')
    expect(r.stdout).toBe('')
  })
})
