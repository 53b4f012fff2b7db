// bin/run.js's plan and validate routes without oclif (src/cli/fast-route.ts, issue 13),
// as a user runs them against a sandbox: every line, answered or given back to oclif,
// prints the same bytes and exits with the same code as with the routes off
// (DOCKWALL_NO_FAST_PATH), on both backends. The lines cover a plan with changes (text,
// JSON, --detailed-exitcode), a configuration error (JSON), a warning (--no-lock:
// the route gives the line back), Terraform's spellings and --out (oclif's), and validate
// with a warning, an error and --json.
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {dockwall, hostArgs, workdir} from './dockwall-e2e.js'
import {BACKENDS, useSandbox} from '../helpers/sandbox.js'

const CONFIG = `
network "fr_front" {
  subnet = "10.43.1.0/24"
}

rule "fr_web" {
  from  = "10.43.1.0/24"
  to    = "10.43.1.10"
  proto = "tcp"
  port  = 80
}

firewall {
  allow_ssh = false
  ssh_port  = 2222
}
`

describe.each(BACKENDS)('plan and validate without oclif, as through oclif (%s)', (backend) => {
  const sandbox = useSandbox(backend)
  const dir = workdir(`fast-route-${backend}`)
  const good = join(dir.path, 'good')
  const broken = join(dir.path, 'broken')

  beforeAll(() => {
    mkdirSync(good)
    mkdirSync(broken)
    writeFileSync(join(good, 'main.hcl'), CONFIG)
    writeFileSync(join(broken, 'main.hcl'), 'rule "x" {\n  port = 99999\n}\n')
  })
  afterAll(() => dir.remove())

  it('prints the same bytes and exits with the same code, line for line', async () => {
    const sb = sandbox()
    const state = ['--state', join(dir.path, 'state.json')]
    const lines: string[][] = [
      ['plan', '-c', good, ...state, '--json', ...hostArgs(sb)],
      ['plan', '--config', good, ...state, '--detailed-exitcode', '--no-tty', '--no-color', ...hostArgs(sb)],
      ['plan', '-c', good, ...state, '--target', 'rule.fr_web', '--destroy', '--no-tty', ...hostArgs(sb)],
      ['plan', '-c', broken, ...state, '--json', ...hostArgs(sb)],
      ['plan', '-c', good, ...state, '--no-lock', '--no-tty', ...hostArgs(sb)],
      ['plan', '-c', good, ...state, '-no-tty', '-lock=false', ...hostArgs(sb)],
      ['validate', '-c', good],
      ['validate', '-c', good, '--json'],
      ['validate', '-c', broken],
      ['validate', '-c', join(dir.path, 'missing')],
    ]
    const results = []
    for (const argv of lines) {
      const fast = await dockwall(sb, dir.path, argv)
      const oclif = await dockwall(sb, dir.path, argv, {env: {DOCKWALL_NO_FAST_PATH: '1'}})
      const shape = (r: typeof fast) => ({argv, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr})
      expect(shape(fast)).toEqual(shape(oclif))
      results.push(fast)
    }
    // The lines say what they should: a plan of changes (exit 2 with --detailed-exitcode), the
    // warning of --no-lock, validate's warning and a configuration error with its position.
    const [, plan, , , noLock, , valid, , bad] = results
    expect(plan?.exitCode).toBe(2)
    expect(plan?.stdout).toMatch(/Plan: \d+ to add/)
    expect(noLock?.stderr).toContain('Warning')
    expect(valid?.stdout).toContain('Success! The configuration is valid')
    expect(valid?.stderr).toContain('ssh_port has no effect with allow_ssh = false')
    expect(bad?.exitCode).toBe(1)
    expect(bad?.stderr).toMatch(/main\.hcl:2:\d+/)
    // Nothing was applied or recorded: plan only reads.
    expect(existsSync(join(dir.path, 'state.json'))).toBe(false)
  })

  it('plan --out is oclif’s and saves the plan', async () => {
    const sb = sandbox()
    const out = join(dir.path, 'tonight.plan')
    const r = await dockwall(sb, dir.path, ['plan', '-c', good, '--out', out, '--no-tty', ...hostArgs(sb)])
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toContain(`Saved the plan to ${out}`)
    expect(existsSync(out)).toBe(true)
  })
})
