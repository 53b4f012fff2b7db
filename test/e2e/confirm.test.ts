// apply --confirm-within against a real engine, with the operator's SSH-like connection
// checked by nc (issue 15): confirmed changes stay; unconfirmed ones roll back to
// byte-identical rules and state; the rollback happens even when the applying process
// is killed with SIGKILL; `dockwall confirm` from a new session is what keeps them.
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import type {ResultPromise} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BACKENDS, useSandbox} from '../helpers/sandbox.js'
import {sshScene, type SshScene} from './ssh-host.js'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Output of a background CLI so far. */
function output(p: ResultPromise): () => string {
  let text = ''
  p.stdout?.on('data', (c: Buffer) => (text += c.toString()))
  p.stderr?.on('data', (c: Buffer) => (text += c.toString()))
  return () => text
}

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await f()
    if (v !== undefined && v !== false) return v
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** A config that closes SSH (applied with --allow-lockout, so the guard lets it through): only a rollback lets the operator back. */
const CUT = 'firewall {\n  input_policy = "drop"\n  allow_ssh    = false\n}\n'
/** A config that keeps SSH and changes the input path. */
const KEEP =
  'firewall {\n  input_policy = "drop"\n}\n\nrule "no_7000" {\n  chain  = "input"\n  port   = 7000\n  action = "drop"\n}\n'

describe.each(BACKENDS)('apply --confirm-within on %s', (backend) => {
  const sandbox = useSandbox(backend)
  let scene: SshScene
  const config = (text: string): void => writeFileSync(path.join(scene.dir, 'main.hcl'), text)
  const stateBytes = (): string | null => (existsSync(scene.statePath) ? readFileSync(scene.statePath, 'utf8') : null)
  const leftovers = (): string[] => ['.confirm', '.confirm.timer'].filter((s) => existsSync(`${scene.statePath}${s}`))

  beforeAll(async () => {
    scene = await sshScene(sandbox(), 'confirm')
  })

  afterAll(() => scene?.stop())

  it('confirmed from a new session: the changes stay, and nothing is left waiting', async () => {
    config(KEEP)
    const apply = scene.spawn(['apply', '--auto-approve', '--confirm-within', '60s'], {SSH_CONNECTION: scene.ssh4})
    const out = output(apply)
    await until('the apply to wait for confirmation', () => out().includes('These changes roll back at'))
    expect(out()).toContain('run `dockwall confirm` from a new SSH session')
    // Meanwhile another apply is held off.
    const second = await scene.cli(['apply', '--auto-approve'], {SSH_CONNECTION: scene.ssh4})
    expect(second.exitCode).toBe(1)
    expect(second.stderr).toContain('waits for confirmation until')
    // The operator's new session works (that is the point of confirming from one).
    expect(await scene.sshOk(scene.ext.sandboxIp)).toBe(true)
    const timerBefore = JSON.parse(readFileSync(`${scene.statePath}.confirm.timer`, 'utf8')) as {pid: number}
    expect(alive(timerBefore.pid)).toBe(true)
    const confirm = await scene.confirm({SSH_CONNECTION: `${scene.ext.ip} 51999 ${scene.ext.sandboxIp} 22`})
    expect(confirm.exitCode, confirm.stderr).toBe(0)
    expect(confirm.stdout).toMatch(/^Confirmed: the changes applied at .* are kept\.$/m)
    const timer = timerBefore
    const r = await apply
    expect(r.exitCode, out()).toBe(0)
    expect(out()).toContain(`Confirmed (confirmed by SSH_CONNECTION ${scene.ext.ip} 51999`)
    // The timer process notices and ends.
    await until('the timer to exit', () => !alive(timer.pid))
    expect(await sandbox().iptablesSave()).toContain('dockwall:rule.no_7000')
    expect(leftovers()).toEqual([])
    const again = await scene.confirm({})
    expect(again.exitCode).toBe(1)
    expect(again.stderr).toContain('nothing waits for confirmation')
  })

  it('not confirmed in time: the rules and the state are byte-identical to before, and SSH works again', async () => {
    const rulesBefore = await scene.host()
    const stateBefore = stateBytes()
    expect(stateBefore).not.toBeNull()
    config(CUT)
    const apply = scene.spawn(['apply', '--auto-approve', '--allow-lockout', '--confirm-within', '15s'], {
      SSH_CONNECTION: scene.ssh4,
    })
    const out = output(apply)
    await until('the apply to wait for confirmation', () => out().includes('These changes roll back at'))
    // Applied: the operator is locked out for now.
    expect(await scene.sshOk(scene.ext.sandboxIp)).toBe(false)
    const r = await apply
    expect(r.exitCode).toBe(1)
    expect(out()).toContain('Not confirmed within 15s: rolled back to the rules and state from before the apply.')
    expect(out()).toMatch(/host iptables-\w+ filter: restored/)
    expect(out()).toContain('state: restored as it was')
    expect(await scene.host()).toBe(rulesBefore)
    expect(stateBytes()).toBe(stateBefore)
    expect(await scene.sshOk(scene.ext.sandboxIp)).toBe(true)
    expect(leftovers()).toEqual([])
  })

  it('the applying process killed with SIGKILL during the window: the timer still rolls back', async () => {
    const rulesBefore = await scene.host()
    const stateBefore = stateBytes()
    config(CUT)
    const apply = scene.spawn(['apply', '--auto-approve', '--allow-lockout', '--confirm-within', '5s'], {
      SSH_CONNECTION: scene.ssh4,
    })
    const out = output(apply)
    await until('the apply to wait for confirmation', () => out().includes('These changes roll back at'))
    apply.kill('SIGKILL')
    await apply
    expect(await scene.host()).not.toBe(rulesBefore)
    await until(
      'the rollback result',
      () => existsSync(`${scene.statePath}.confirm.result`) && leftovers().length === 0,
    )
    const result = JSON.parse(readFileSync(`${scene.statePath}.confirm.result`, 'utf8')) as {
      outcome: string
      ok: boolean
    }
    expect(result).toMatchObject({outcome: 'rolled-back', ok: true})
    expect(await scene.host()).toBe(rulesBefore)
    expect(stateBytes()).toBe(stateBefore)
    expect(await scene.sshOk(scene.ext.sandboxIp)).toBe(true)
    // And `dockwall confirm` now says it is too late.
    const late = await scene.confirm({})
    expect(late.exitCode).toBe(1)
    expect(late.stderr).toContain('too late: the changes were rolled back')
  })

  it('on by default over SSH when the plan changes the input path; off with --confirm-within off', async () => {
    config(`${KEEP}\nrule "no_7001" {\n  chain  = "input"\n  port   = 7001\n  action = "drop"\n}\n`)
    const apply = scene.spawn(['apply', '--auto-approve'], {SSH_CONNECTION: scene.ssh4})
    const out = output(apply)
    await until('the apply to wait for confirmation', () => out().includes('These changes roll back at'))
    expect(out()).toContain(
      'Over SSH, with changes on the path into the host: they roll back in 2m unless confirmed (--confirm-within off to skip).',
    )
    const confirm = await scene.confirm({SSH_CONNECTION: scene.ssh4})
    expect(confirm.exitCode, confirm.stderr).toBe(0)
    expect((await apply).exitCode).toBe(0)
    config(KEEP)
    const off = await scene.cli(['apply', '--auto-approve', '--confirm-within', 'off'], {SSH_CONNECTION: scene.ssh4})
    expect(off.exitCode, off.stderr).toBe(0)
    expect(off.stdout).not.toContain('roll back')
    expect(leftovers()).toEqual([])
    const d = await scene.cli(['destroy', '--auto-approve', '--confirm-within', 'off'], {SSH_CONNECTION: scene.ssh4})
    expect(d.exitCode, d.stderr).toBe(0)
  })
})
