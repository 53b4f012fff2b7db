// apply --confirm-within without iptables: the pending file, the timer (a real detached
// process running the sources), confirm, the state put back byte for byte, a timer that
// died, and who wins when confirm and the deadline meet. The iptables side is in
// test/unit/apply/rollback.test.ts and test/e2e/confirm.test.ts.
import {PassThrough} from 'node:stream'
import {existsSync} from 'node:fs'
import {mkdtemp, readFile, rm, symlink, unlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import process from 'node:process'
import {fileURLToPath} from 'node:url'

import {execa} from 'execa'
import {describe, expect, it} from 'vitest'

import {confirmWindow} from '../../../src/cli/confirm-flow.js'
import {AbortError} from '../../../src/errors.js'
import type {Plan} from '../../../src/plan/types.js'
import {confirmPaths, mayHavePending} from '../../../src/services/confirm-paths.js'
import {
  armRollback,
  confirmPending,
  readPending,
  readResult,
  runTimer,
  settlePending,
  waitForOutcome,
  type PendingFile,
} from '../../../src/services/confirm.js'
import {parseSshConnection} from '../../../src/services/ssh-session.js'
import {putResource, readState, writeState} from '../../../src/state/index.js'
import {waitForKey} from '../../../src/ui/index.js'
import {makeTmpDir, network, rule, sampleState} from '../state/helpers.js'
import {actual} from '../plan/builders.js'

const here = fileURLToPath(new URL('.', import.meta.url))
const TIMER = [process.execPath, '--import', join(here, '../state/ts-loader.mjs'), join(here, 'timer-child.ts')]

const emptyPlan = {firewall: [], changes: []} as unknown as Plan

async function pendingFor(statePath: string, extra: Partial<PendingFile> = {}): Promise<PendingFile> {
  const previous = existsSync(statePath) ? await readFile(statePath, 'utf8') : null
  const p: PendingFile = {
    version: 1,
    id: `id-${Math.random()}`,
    statePath,
    createdAt: new Date().toISOString(),
    windowMs: 60_000,
    armed: true,
    deadline: Date.now() + 60_000,
    applyPid: process.pid,
    previousState: previous,
    tables: [],
    ...extra,
  }
  await writeFile(confirmPaths(statePath).pending, JSON.stringify(p), {mode: 0o600})
  return p
}

describe('confirm: the timer, confirm, and the state put back', () => {
  it('rolls the state back byte for byte at the deadline, when no one confirms', async () => {
    const path = join(await makeTmpDir(), 'state.json')
    const s1 = await writeState(path, sampleState([rule('a')]), null)
    const before = await readFile(path, 'utf8')
    await pendingFor(path, {deadline: Date.now() + 200})
    // The apply changes the firewall resources.
    await writeState(path, putResource(s1, rule('b')), s1)
    const result = await runTimer(confirmPaths(path).pending)
    expect(result).toMatchObject({outcome: 'rolled-back', ok: true})
    expect(result!.detail).toContain(`state: restored as it was (serial ${s1.serial})`)
    expect(await readFile(path, 'utf8')).toBe(before)
    expect(await readPending(path)).toBeNull()
    expect(existsSync(confirmPaths(path).timer)).toBe(false)
    expect((await readResult(path))?.id).toBe(result!.id)
  })

  it('removes the state when there was none, and keeps the record of Docker resources the apply made', async () => {
    const dir = await makeTmpDir()
    const none = join(dir, 'none.json')
    await pendingFor(none, {deadline: Date.now()})
    await writeState(none, sampleState([rule('a')]), null)
    await runTimer(confirmPaths(none).pending)
    expect(existsSync(none)).toBe(false)

    const mixed = join(dir, 'mixed.json')
    const s1 = await writeState(mixed, sampleState([rule('a')]), null)
    await pendingFor(mixed, {deadline: Date.now()})
    await writeState(mixed, putResource(putResource(s1, rule('b')), network('made')), s1)
    const r = await runTimer(confirmPaths(mixed).pending)
    expect(r!.detail.at(-1)).toMatch(/^state: firewall resources as before the apply, Docker resources as they are/)
    expect((await readState(mixed))!.resources.map((x) => x.address)).toEqual(['network.made', 'rule.a'])
  })

  it('an apply that died before its timer ran applied nothing: the timer drops the file and leaves', async () => {
    const path = join(await makeTmpDir(), 'state.json')
    await writeState(path, sampleState([rule('a')]), null)
    const before = await readFile(path, 'utf8')
    const gone = await execa(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
    await pendingFor(path, {armed: false, applyPid: Number(gone.stdout), deadline: Date.now() - 1})
    expect(await runTimer(confirmPaths(path).pending)).toBeNull()
    expect(await readPending(path)).toBeNull()
    expect(await readResult(path)).toBeNull()
    expect(await readFile(path, 'utf8')).toBe(before)
  })

  it('confirm before the deadline keeps everything, and the timer then leaves', async () => {
    const path = join(await makeTmpDir(), 'state.json')
    const s1 = await writeState(path, sampleState([rule('a')]), null)
    // A deadline far off: the timer polls and leaves as soon as the confirm lands, so the
    // test does not wait for it; a near one lost the race on a loaded machine (CI).
    await pendingFor(path, {deadline: Date.now() + 60_000})
    const s2 = await writeState(path, putResource(s1, rule('b')), s1)
    const timer = runTimer(confirmPaths(path).pending)
    const c = await confirmPending(path, 'a test')
    expect(c.kind).toBe('confirmed')
    expect(await timer).toBeNull()
    expect((await readState(path))!.serial).toBe(s2.serial)
    expect(await readResult(path)).toMatchObject({outcome: 'confirmed', detail: ['confirmed by a test']})
    expect(await confirmPending(path, 'again')).toEqual({kind: 'none'})
  })

  it('a confirm that lands before the timer writes its file: the next confirm finds nothing waiting', async () => {
    const path = join(await makeTmpDir(), 'state.json')
    await writeState(path, sampleState([rule('a')]), null)
    const p = await pendingFor(path)
    expect((await confirmPending(path, 'first')).kind).toBe('confirmed')
    // The timer's file, written after the confirm removed it (the race CI once hit).
    await writeFile(confirmPaths(path).timer, JSON.stringify({id: p.id, pid: process.pid}))
    expect(await confirmPending(path, 'again')).toEqual({kind: 'none'})
  })

  it('a timer that finds its apply confirmed removes its own file', async () => {
    const path = join(await makeTmpDir(), 'state.json')
    await writeState(path, sampleState([rule('a')]), null)
    await pendingFor(path)
    const timer = runTimer(confirmPaths(path).pending)
    for (let i = 0; i < 200 && !existsSync(confirmPaths(path).timer); i++) await new Promise((r) => setTimeout(r, 10))
    await unlink(confirmPaths(path).pending)
    expect(await timer).toBeNull()
    expect(existsSync(confirmPaths(path).timer)).toBe(false)
  })

  it('confirm after the rollback is too late, and says what was restored', async () => {
    const path = join(await makeTmpDir(), 'state.json')
    await writeState(path, sampleState([rule('a')]), null)
    await pendingFor(path, {deadline: Date.now()})
    await runTimer(confirmPaths(path).pending)
    const c = await confirmPending(path, 'late')
    expect(c.kind).toBe('too-late')
  })

  // The timer runs the TypeScript sources through a loader: slow to start on a loaded machine.
  it(
    'arms a real detached timer process that waits for the deadline the apply extends, then rolls back',
    {timeout: 120_000},
    async () => {
      const path = join(await makeTmpDir(), 'state.json')
      const s1 = await writeState(path, sampleState([rule('a')]), null)
      const before = await readFile(path, 'utf8')
      const armed = await armRollback({
        windowMs: 1500,
        timerCommand: TIMER,
        statePath: path,
        host: {kind: 'current'},
        plan: emptyPlan,
        actual: actual(),
        timerStartMs: 90_000,
      })
      expect(JSON.parse(await readFile(confirmPaths(path).timer, 'utf8'))).toMatchObject({
        id: armed.id,
        pid: armed.timerPid,
      })
      await writeState(path, putResource(s1, rule('b')), s1)
      const first = armed.deadline
      await new Promise((r) => setTimeout(r, 50))
      await armed.extend()
      expect(armed.deadline).toBeGreaterThan(first)
      expect((await readPending(path))!.deadline).toBe(armed.deadline)
      const result = await waitForOutcome(armed)
      expect(result).toMatchObject({id: armed.id, outcome: 'rolled-back', ok: true})
      expect(await readFile(path, 'utf8')).toBe(before)
    },
  )

  it('refuses to arm while another apply waits, and writes nothing when the timer cannot start', async () => {
    const path = join(await makeTmpDir(), 'state.json')
    await pendingFor(path)
    const opts = {windowMs: 1000, statePath: path, host: {kind: 'current'} as const, plan: emptyPlan, actual: actual()}
    await expect(armRollback({...opts, timerCommand: TIMER})).rejects.toThrow(/still waits for confirmation/)
    const other = join(await makeTmpDir(), 'state.json')
    await expect(
      armRollback({...opts, statePath: other, timerCommand: [process.execPath, '-e', 'process.exit(3)']}),
    ).rejects.toThrow(/did not start: nothing was applied/)
    expect(await readPending(other)).toBeNull()
  })

  it('at session open: a live wait holds off changes, a plan only hears of it; a dead timer past its deadline is rolled back', async () => {
    const path = join(await makeTmpDir(), 'state.json')
    const s1 = await writeState(path, sampleState([rule('a')]), null)
    const before = await readFile(path, 'utf8')
    const p = await pendingFor(path, {deadline: Date.now() + 60_000})
    await writeState(path, putResource(s1, rule('b')), s1)
    const warnings: string[] = []
    await expect(settlePending(path, true, (m) => warnings.push(m))).rejects.toThrow(/waits for confirmation until/)
    await settlePending(path, false, (m) => warnings.push(m))
    expect(warnings[0]).toMatch(/^an apply waits for confirmation: it rolls back at /)
    // Its timer is gone (never started here) and the deadline passed: the next dockwall rolls back.
    await writeFile(confirmPaths(path).pending, JSON.stringify({...p, deadline: Date.now() - 1}))
    await settlePending(path, true, (m) => warnings.push(m))
    expect(warnings[1]).toMatch(/^rolled back the apply made at .*: not confirmed by .* and its timer was gone/)
    expect(await readFile(path, 'utf8')).toBe(before)
  })

  it('refuses a pending file that is a symbolic link, and one that is not dockwall’s', async () => {
    const dir = await makeTmpDir()
    const path = join(dir, 'state.json')
    await writeFile(join(dir, 'elsewhere'), '{}')
    await symlink(join(dir, 'elsewhere'), confirmPaths(path).pending)
    await expect(readPending(path)).rejects.toThrow(/is a symbolic link/)
    const other = join(dir, 'other.json')
    await writeFile(confirmPaths(other).pending, '{"version": 1}')
    await expect(readPending(other)).rejects.toThrow(AbortError)
  })
})

describe('confirmWindow: when --confirm-within is on', () => {
  const ssh = parseSshConnection('203.0.113.7 51234 198.51.100.1 22')
  const tx = (input: string) =>
    ({
      firewall: [{namespace: 'host', backend: 'nft', table: 'filter', input, addresses: []}],
      changes: [],
    }) as unknown as Plan
  const input = tx('*filter\n:DOCKWALL-INPUT - [0:0]\n-A DOCKWALL-INPUT -j DROP\nCOMMIT\n')
  const forward = tx('*filter\n:DOCKWALL-FORWARD - [0:0]\n-I DOCKER-USER 1 -j DOCKWALL-FORWARD\nCOMMIT\n')

  it('follows the flag: a duration, or off', () => {
    expect(confirmWindow('90s', undefined, forward)).toEqual({ms: 90_000, byDefault: false})
    expect(confirmWindow('off', ssh, input)).toBeUndefined()
    expect(confirmWindow('0', ssh, input)).toBeUndefined()
    expect(() => confirmWindow('soon', ssh, input)).toThrow(/--confirm-within: invalid duration "soon"/)
  })

  it('is on by default (2m) over SSH when the plan changes the path into the host, and only then', () => {
    expect(confirmWindow(undefined, ssh, input)).toEqual({ms: 120_000, byDefault: true})
    expect(confirmWindow(undefined, undefined, input)).toBeUndefined()
    expect(confirmWindow(undefined, ssh, forward)).toBeUndefined()
    expect(confirmWindow(undefined, ssh, emptyPlan)).toBeUndefined()
  })
})

describe('waitForKey', () => {
  it('resolves on one of the keys, on Ctrl-C, and on the end of input', async () => {
    const make = () =>
      Object.assign(new PassThrough(), {isTTY: false, setRawMode: () => {}, ref: () => {}, unref: () => {}})
    const a = make()
    const w = waitForKey(a as unknown as NodeJS.ReadStream, ['y'])
    a.write('x')
    a.write('y')
    expect(await w.key).toBe('y')
    const b = make()
    const w2 = waitForKey(b as unknown as NodeJS.ReadStream, ['y'])
    b.write('\u0003')
    expect(await w2.key).toBe('interrupt')
    const c = make()
    const w3 = waitForKey(c as unknown as NodeJS.ReadStream, ['y'])
    c.end()
    expect(await w3.key).toBe('closed')
  })
})

describe('mayHavePending', () => {
  it('is false only when nothing is at the pending path: a file or a symbolic link there sends the session to settlePending', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dockwall-pending-'))
    try {
      const statePath = join(dir, 'dockwall.state.json')
      expect(await mayHavePending(statePath)).toBe(false)
      await symlink(join(dir, 'nowhere'), confirmPaths(statePath).pending)
      expect(await mayHavePending(statePath)).toBe(true)
      await unlink(confirmPaths(statePath).pending)
      await writeFile(confirmPaths(statePath).pending, '{}')
      expect(await mayHavePending(statePath)).toBe(true)
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })
})
