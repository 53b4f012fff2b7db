// bin/run.js's plan and validate routes without oclif (src/cli/fast-route.ts, issue 13),
// as a user runs them against a sandbox: every line, answered or given back to oclif,
// prints the same bytes and exits with the same code as with the routes off
// (DOCKWALL_NO_FAST_PATH), on both backends. The lines cover a plan with changes (text,
// JSON, --detailed-exitcode), a configuration error (JSON), a warning (--no-lock:
// the route gives the line back), Terraform's spellings and --out (oclif's), and validate
// with a warning, an error and --json. apply and destroy --auto-approve, which change the
// host, run in pairs from the same host and state (the state removed after each destroy):
// an apply of changes with a warning, a no-op apply, a destroy, a configuration error, a
// state lock another process holds, and a usage error; their outputs compared with nothing
// normalised but the durations apply prints.
import {existsSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {dockwall, hostArgs, workdir} from './dockwall-e2e.js'
import {BACKENDS, useSandbox} from '../helpers/sandbox.js'
import {acquireLock} from '../../src/state/lock.js'

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

describe.each(BACKENDS)('plan, validate, apply and destroy without oclif, as through oclif (%s)', (backend) => {
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

  it('apply and destroy --auto-approve print the same bytes and exit with the same code', async () => {
    const sb = sandbox()
    const statePath = join(dir.path, 'apply-state.json')
    const state = ['--state', statePath, ...hostArgs(sb)]
    // The durations of the progress lines (`Creation complete after 0.1s`), and nothing else.
    const untimed = (text: string) => text.replace(/ after <?\d+(\.\d)?s/g, ' after (time)')
    const run = async (argv: string[], env: Record<string, string>) => {
      const r = await dockwall(sb, dir.path, argv, {env})
      return {argv, exitCode: r.exitCode, stdout: untimed(r.stdout), stderr: untimed(r.stderr)}
    }
    // Each sequence from the same host and state: the destroy leaves the host as it was,
    // the state file goes.
    const sequence = [
      // Changes (a Docker network, chains and rules) and a warning (--no-lock).
      ['apply', '--auto-approve', '-c', good, '--no-lock', '--confirm-within', 'off', ...state],
      ['apply', '--auto-approve', '--config', good, '--no-tty', ...state],
      ['destroy', '--auto-approve', '-c', good, ...state],
    ]
    const runs: Record<string, Array<Awaited<ReturnType<typeof run>>>> = {}
    for (const [way, env] of [
      ['route', {}],
      ['oclif', {DOCKWALL_NO_FAST_PATH: '1'}],
    ] as const) {
      runs[way] = []
      for (const argv of sequence) runs[way].push(await run(argv, env))
      for (const f of [statePath, `${statePath}.backup`]) rmSync(f, {force: true})
    }
    expect(runs.route).toEqual(runs.oclif)
    const [changes, noop, destroy] = runs.route ?? []
    expect(changes?.stdout).toMatch(/Apply complete! Resources: \d+ added/)
    expect(changes?.stderr).toContain('Warning: --lock=false')
    expect(noop?.stdout).toContain('No changes.')
    expect(destroy?.stdout).toMatch(/Resources: 0 added, 0 changed, \d+ destroyed/)
    for (const r of runs.route ?? []) expect(r.exitCode).toBe(0)

    // Failures, which change nothing: a configuration error, a lock held by another
    // process, and --no-lock with the confirm window (oclif's usage error).
    const held = await acquireLock(statePath, {timeoutMs: 0, operation: 'dockwall apply (the test)'})
    const failing = [
      ['apply', '--auto-approve', '-c', broken, ...state],
      ['apply', '--auto-approve', '-c', good, ...state],
      ['destroy', '--auto-approve', '-c', good, '--no-lock', '--confirm-within', '2m', ...state],
    ]
    try {
      for (const argv of failing) {
        const fast = await run(argv, {})
        expect(fast).toEqual(await run(argv, {DOCKWALL_NO_FAST_PATH: '1'}))
        expect(fast.exitCode).toBe(1)
      }
    } finally {
      await held.release()
    }
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
