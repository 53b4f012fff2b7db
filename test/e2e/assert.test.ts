// assert blocks end to end (the built CLI against a sandbox, both backends): `dockwall
// test` with a true and a false assertion (exit 0 / 1, the failing one named with its
// path), plan showing the results under the changes, apply refusing a plan whose
// assertions fail with nothing touched, then (the false one gone) apply, and nc agreeing
// with the assertions that passed. watch --once logs the false one and refuses the plan.
import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {dockwall, expectExit, hostArgs, parseJson, workdir} from './dockwall-e2e.js'
import {BACKENDS, useSandbox} from '../helpers/sandbox.js'

const BASE = `
container "web" { name = "as-web" }
container "api" { name = "as-api" }
container "db"  { name = "as-db" }

rule "db_to_web" {
  from  = container.db
  to    = container.web
  proto = "tcp"
  port  = 80
}

# True as planned: the rule above opens it (Docker alone drops it: two networks).
assert "db_reaches_web" {
  from   = container.db
  to     = container.web
  port   = 80
  expect = "allow"
}

# True: Docker lets a network reach itself.
assert "api_reaches_web" {
  from   = container.api
  to     = container.web
  port   = 80
  expect = "allow"
}
`

// False as planned: it contradicts the rule.
const FALSE = `
assert "db_isolated" {
  from   = container.db
  to     = container.web
  port   = 80
  expect = "deny"
}
`

interface TestJson {
  pass: boolean
  assertions: Array<{address: string; pass: boolean; verdict?: string}>
}

describe.each(BACKENDS)('assert blocks (%s)', (backend) => {
  const sandbox = useSandbox(backend)
  const dir = workdir(`assert-${backend}`)

  beforeAll(async () => {
    const sb = sandbox()
    await sb.createNetwork('as-front', '10.43.1.0/24')
    await sb.createNetwork('as-back', '10.43.2.0/24')
    await sb.runContainer('as-web', {network: 'as-front', ip: '10.43.1.10'})
    await sb.runContainer('as-api', {network: 'as-front', ip: '10.43.1.20'})
    await sb.runContainer('as-db', {network: 'as-back', ip: '10.43.2.30'})
    await sb.listen('as-web', 80)
  })
  afterAll(() => dir.remove())

  const run = (args: string[]) => dockwall(sandbox(), dir.path, [...args, ...hostArgs(sandbox())])

  it('test, plan and apply with a false assertion: exit 1, the failing one named with its path, nothing touched', async () => {
    const sb = sandbox()
    writeFileSync(join(dir.path, 'main.hcl'), BASE + FALSE)

    const text = expectExit(await run(['test']), 1).stdout
    expect(text).toMatch(
      /^ {2}pass assert\.db_reaches_web: container\.db -> container\.web tcp\/80: allow, as expected$/m,
    )
    expect(text).toMatch(/^ {2}pass assert\.api_reaches_web: /m)
    expect(text).toMatch(
      /^ {2}FAIL assert\.db_isolated: container\.db -> container\.web tcp\/80: allow, expected deny \(.*main\.hcl:29\)$/m,
    )
    // The path of the failing one, down to the rule that lets it through.
    expect(text).toMatch(/decided by host filter DOCKWALL-FORWARD rule \d+ \(dockwall:rule\.db_to_web\): ACCEPT/)
    expect(text).toContain('container.as-db: sent')
    expect(text).toMatch(/3 assertions: 2 pass, 1 fails\.$/m)

    const json = parseJson<TestJson>(expectExit(await run(['test', '--json']), 1))
    expect(json.pass).toBe(false)
    expect(json.assertions.map((a) => [a.address, a.pass])).toEqual([
      ['assert.api_reaches_web', true],
      ['assert.db_isolated', false],
      ['assert.db_reaches_web', true],
    ])

    const plan = expectExit(await run(['plan', '--no-tty']), 0).stdout
    expect(plan).toMatch(/Plan: \d+ to add/)
    expect(plan.indexOf('Assertions (on the host as planned): 2 pass, 1 fails')).toBeGreaterThan(plan.indexOf('Plan:'))

    // The rules, without the save's timestamp comments and the policies' packet counters (traffic moves them).
    const rules = async (): Promise<string> =>
      (await sb.iptablesSave())
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .map((l) => l.replace(/\[\d+:\d+\]/, '[]'))
        .join('\n')
    const before = await rules()
    const apply = await run(['apply', '--auto-approve', '--no-tty'])
    expectExit(apply, 1)
    expect(apply.stderr).toContain('an assertion fails on the host as the plan would leave it, so nothing was changed')
    expect(apply.stderr).toContain('assert.db_isolated: expected deny, got allow')
    expect(await rules()).toBe(before)
    expect(existsSync(join(dir.path, 'dockwall.state.json'))).toBe(false)

    // watch logs the assertion that turned false (its first reconciliation: nobody was told yet),
    // and refuses the plan that would break it, since it holds now.
    const watch = await run(['watch', '--once', '--log-format', 'text'])
    expectExit(watch, 1)
    const line = (watch.stdout + watch.stderr).split('\n').find((l) => l.includes('msg=reconcile')) ?? ''
    expect(line).toContain('assertions_turned_false=assert.db_isolated')
    expect(line).toContain('result=failed')
    expect(line).toMatch(/error=".*assert\.db_isolated: expected deny, got allow/)
    expect(await rules()).toBe(before)
    expect(await sb.canConnect({from: 'as-db', to: '10.43.1.10', port: 80})).toBe(false)
  })

  it('with the true ones only: test passes, apply goes through, and nc agrees with them', async () => {
    const sb = sandbox()
    writeFileSync(join(dir.path, 'main.hcl'), BASE)
    const json = parseJson<TestJson>(expectExit(await run(['test', '--json']), 0))
    expect(json).toMatchObject({pass: true})
    expect(json.assertions.map((a) => [a.address, a.verdict])).toEqual([
      ['assert.api_reaches_web', 'allow'],
      ['assert.db_reaches_web', 'allow'],
    ])
    expectExit(await run(['apply', '--auto-approve', '--no-tty']), 0)
    expect(await sb.canConnect({from: 'as-db', to: '10.43.1.10', port: 80})).toBe(true)
    expect(await sb.canConnect({from: 'as-api', to: '10.43.1.10', port: 80})).toBe(true)
    // Applied: they hold on the host as it is now, as planned.
    expect(expectExit(await run(['test']), 0).stdout).toMatch(/2 assertions: 2 pass\.$/m)
  })
})
