import type {Buffer} from 'node:buffer'
import {readdir, readFile, stat, symlink, writeFile} from 'node:fs/promises'
import {hostname} from 'node:os'
import {join} from 'node:path'
import process from 'node:process'

import {execa} from 'execa'
import {describe, expect, it} from 'vitest'

import {AbortError, StateLockedError} from '../../../src/errors.js'
import {acquireLock, forceUnlock, readLock} from '../../../src/state/lock.js'
import type {LockInfo} from '../../../src/state/lock.js'
import {lockPathFor} from '../../../src/state/paths.js'
import {readState} from '../../../src/state/store.js'
import {makeTmpDir, runChild} from './helpers.js'

const op = {timeoutMs: 0, operation: 'dockwall test'}

/** A pid that existed a moment ago and is gone now. */
async function deadPid(): Promise<number> {
  const child = execa(process.execPath, ['-e', ''])
  const pid = child.pid!
  await child
  return pid
}

async function writeLockFile(statePath: string, info: Partial<LockInfo> & {pid_start?: string}): Promise<void> {
  const full = {
    id: 'old-lock-id',
    pid: 1,
    hostname: hostname(),
    user: 'root',
    operation: 'dockwall apply',
    created: new Date().toISOString(),
    ...info,
  }
  await writeFile(lockPathFor(statePath), JSON.stringify(full))
}

async function failure(p: Promise<unknown>): Promise<AbortError> {
  const err = await p.then(
    () => undefined,
    (error: unknown) => error,
  )
  expect(err).toBeInstanceOf(AbortError)
  return err as AbortError
}

/** Resolves with the first line a child prints (its lock info). */
function firstLine(child: ReturnType<typeof runChild>): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('\n')) resolve(out.split('\n')[0]!)
    })
    void child.then((r) => reject(new Error(`child ended early: ${r.all}`)))
  })
}

describe('state lock', () => {
  it('creates <state>.lock with the holder, mode 0600, and removes it on release', async () => {
    const statePath = join(await makeTmpDir(), 'sub/state.json')
    const lock = await acquireLock(statePath, {timeoutMs: 0, operation: 'dockwall apply'})
    expect(lock.path).toBe(`${statePath}.lock`)
    expect((await stat(lock.path)).mode & 0o777).toBe(0o600)
    const onDisk = JSON.parse(await readFile(lock.path, 'utf8'))
    expect(onDisk).toMatchObject({
      id: lock.info.id,
      pid: process.pid,
      hostname: hostname(),
      operation: 'dockwall apply',
    })
    expect(typeof onDisk.user).toBe('string')
    expect(Date.parse(onDisk.created)).toBeGreaterThan(Date.now() - 10_000)
    expect(await readLock(statePath)).toEqual({kind: 'held', info: lock.info})
    await lock.check()
    await lock.release()
    await lock.release() // idempotent
    expect(await readLock(statePath)).toBeNull()
    await expect(lock.check()).rejects.toThrow(/no longer holds the state lock/)
    // No temp files left behind.
    const {readdir} = await import('node:fs/promises')
    expect(await readdir(join(statePath, '..'))).toEqual([])
  })

  it('fails at once with timeout 0, naming the holder and the force-unlock command', async () => {
    const statePath = join(await makeTmpDir(), 'state.json')
    const held = await acquireLock(statePath, {timeoutMs: 0, operation: 'dockwall apply'})
    try {
      const started = Date.now()
      const err = await failure(acquireLock(statePath, op))
      expect(Date.now() - started).toBeLessThan(3000) // no waiting (generous: CI machines are busy)
      // Callers that wait and retry (watch) recognise it by its type, not its words.
      expect(err).toBeInstanceOf(StateLockedError)
      expect((err as StateLockedError).lockPath).toBe(`${statePath}.lock`)
      expect(err.message).toMatch(
        new RegExp(
          `^state locked by pid ${process.pid} \\(dockwall apply, user [^)]+\\) on host ${hostname()} since \\d\\d:\\d\\d:\\d\\d; ` +
            `wait, or run \`dockwall force-unlock ${held.info.id} --state ${statePath.replaceAll('/', '\\/')}\` if that process is gone$`,
        ),
      )
      expect(err.hint).toBe('add --lock-timeout 5m to wait for the other dockwall to finish')
    } finally {
      await held.release()
    }
  })

  it('waits up to the timeout, then fails saying how long it waited', async () => {
    const statePath = join(await makeTmpDir(), 'state.json')
    const held = await acquireLock(statePath, op)
    try {
      const started = Date.now()
      const err = await failure(acquireLock(statePath, {...op, timeoutMs: 400}))
      expect(Date.now() - started).toBeGreaterThanOrEqual(380)
      expect(err.message).toMatch(/^timed out after 400ms waiting for the state lock: state locked by pid /)
    } finally {
      await held.release()
    }
  })

  it('gets the lock when the holder releases it within the timeout', async () => {
    const statePath = join(await makeTmpDir(), 'state.json')
    const held = await acquireLock(statePath, op)
    setTimeout(() => void held.release(), 200)
    const lock = await acquireLock(statePath, {...op, timeoutMs: 5000, maxPollMs: 50})
    expect(await readLock(statePath)).toEqual({kind: 'held', info: lock.info})
    await lock.release()
  })

  it('takes over, with a warning, a lock whose holder on this host is gone', async () => {
    const statePath = join(await makeTmpDir(), 'state.json')
    const pid = await deadPid()
    await writeLockFile(statePath, {pid, operation: 'dockwall apply'})
    const warnings: string[] = []
    const lock = await acquireLock(statePath, {...op, warn: (m) => warnings.push(m)})
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(
      new RegExp(
        `^taking over the state lock of pid ${pid} \\(dockwall apply, user root\\) on host .* since .*: that process no longer exists$`,
      ),
    )
    expect(lock.info.id).not.toBe('old-lock-id')
    await lock.release()
  })

  it('removes what a dockwall killed while taking the lock left beside it, and only once its writer is gone', async () => {
    const dir = await makeTmpDir()
    const statePath = join(dir, 'state.json')
    const lockPath = lockPathFor(statePath)
    const dead = await deadPid()
    // Killed between writing its temp lock file and removing it; killed holding the takeover guard.
    await writeFile(`${lockPath}.tmp-${dead}-0d5e6f70-1a2b-4c3d-8e9f-a0b1c2d3e4f5`, '{}')
    await writeFile(`${lockPath}.takeover`, `${dead}\n`)
    // Another dockwall, alive, waiting for the lock: its temp file stays.
    await writeFile(`${lockPath}.tmp-${process.pid}-waiting`, '{}')
    const lock = await acquireLock(statePath, op)
    expect((await readdir(dir)).sort()).toEqual(['state.json.lock', `state.json.lock.tmp-${process.pid}-waiting`])
    await lock.release()
    // A guard whose writer runs (a force-unlock under way) stays too.
    await writeFile(`${lockPath}.takeover`, `${process.pid}\n`)
    await (await acquireLock(statePath, op)).release()
    expect(await readdir(dir)).toContain('state.json.lock.takeover')
  })

  it('takes over a lock whose pid now belongs to a newer process', async () => {
    const statePath = join(await makeTmpDir(), 'state.json')
    // Our own pid is alive, but with a different start time it is not the holder.
    await writeLockFile(statePath, {pid: process.pid, pid_start: '1'})
    const warnings: string[] = []
    const lock = await acquireLock(statePath, {...op, warn: (m) => warnings.push(m)})
    expect(warnings).toHaveLength(1)
    await lock.release()
  })

  it('never takes over a lock held from another host', async () => {
    const statePath = join(await makeTmpDir(), 'state.json')
    await writeLockFile(statePath, {pid: await deadPid(), hostname: 'elsewhere.example'})
    const err = await failure(acquireLock(statePath, op))
    expect(err.message).toMatch(
      /^state locked by pid \d+ \(dockwall apply, user root\) on host elsewhere\.example since /,
    )
    expect(err.message).toContain('force-unlock old-lock-id')
  })

  it('does not take over a live holder', async () => {
    const statePath = join(await makeTmpDir(), 'state.json')
    await writeLockFile(statePath, {pid: process.pid})
    await failure(acquireLock(statePath, op))
    expect((await readLock(statePath))?.kind).toBe('held')
  })

  it('says so when the lock file is not a dockwall lock', async () => {
    const statePath = join(await makeTmpDir(), 'state.json')
    await writeFile(lockPathFor(statePath), 'garbage')
    const err = await failure(acquireLock(statePath, op))
    expect(err.message).toBe(`state locked by ${statePath}.lock, which is not a dockwall lock (it is not JSON)`)
    expect(err.hint).toBe(`if no dockwall is running, delete ${statePath}.lock by hand`)
  })

  describe('force-unlock', () => {
    it('removes the lock only when the id matches', async () => {
      const statePath = join(await makeTmpDir(), 'state.json')
      const held = await acquireLock(statePath, op)
      const err = await failure(forceUnlock(statePath, 'not-the-id'))
      expect(err.message).toMatch(
        new RegExp(
          `^the state lock has id ${held.info.id} \\(pid ${process.pid} .*\\), not not-the-id; nothing was unlocked$`,
        ),
      )
      expect((await readLock(statePath))?.kind).toBe('held')
      // The holder (this process) still runs: refused without --force.
      const alive = await failure(forceUnlock(statePath, held.info.id))
      expect(alive.message).toBe(
        `refusing to remove the state lock: pid ${process.pid} (dockwall test) still runs on this host; removing it would let two dockwalls change the host and the state at once. Nothing was unlocked`,
      )
      expect(alive.hint).toMatch(/add --force$/)
      expect((await readLock(statePath))?.kind).toBe('held')
      const info = await forceUnlock(statePath, held.info.id, {force: true})
      expect(info).toEqual(held.info)
      expect(await readLock(statePath)).toBeNull()
      // The old holder notices, and its release leaves a new holder's lock alone.
      await expect(held.check()).rejects.toThrow(/no longer holds the state lock/)
      const next = await acquireLock(statePath, op)
      await held.release()
      expect(await readLock(statePath)).toEqual({kind: 'held', info: next.info})
      await next.release()
    })

    it('removes at once the lock of a holder on this host that is gone', async () => {
      const statePath = join(await makeTmpDir(), 'state.json')
      await writeLockFile(statePath, {pid: await deadPid()})
      const asked: string[] = []
      const info = await forceUnlock(statePath, 'old-lock-id', {confirm: async (_h, s) => (asked.push(s), false)})
      expect(info.id).toBe('old-lock-id')
      expect(asked).toEqual([])
      expect(await readLock(statePath)).toBeNull()
    })

    it('treats a pid that now belongs to a newer process as gone', async () => {
      const statePath = join(await makeTmpDir(), 'state.json')
      await writeLockFile(statePath, {pid: process.pid, pid_start: '1'})
      await forceUnlock(statePath, 'old-lock-id')
      expect(await readLock(statePath)).toBeNull()
    })

    it('asks (or needs --force) for a lock held from another host, which it cannot check', async () => {
      const statePath = join(await makeTmpDir(), 'state.json')
      await writeLockFile(statePath, {hostname: 'elsewhere.example', pid: 4242})
      const refused = await failure(forceUnlock(statePath, 'old-lock-id'))
      expect(refused.message).toMatch(
        /^refusing to remove the state lock: the lock is held from host elsewhere\.example, where dockwall cannot check whether pid 4242 still runs;/,
      )
      expect((await readLock(statePath))?.kind).toBe('held')
      const asked: string[] = []
      const no = await failure(
        forceUnlock(statePath, 'old-lock-id', {confirm: async (_h, s) => (asked.push(s), false)}),
      )
      expect(no.message).toBe('force-unlock cancelled; nothing was unlocked')
      expect((await readLock(statePath))?.kind).toBe('held')
      await forceUnlock(statePath, 'old-lock-id', {confirm: async (_h, s) => (asked.push(s), true)})
      expect(asked).toEqual(['unknown', 'unknown'])
      expect(await readLock(statePath)).toBeNull()
    })

    it('refuses a lock file that is a symbolic link, and leaves its target alone', async () => {
      const dir = await makeTmpDir()
      const statePath = join(dir, 'state.json')
      const target = join(dir, 'elsewhere')
      await writeFile(target, 'precious')
      await symlink(target, lockPathFor(statePath))
      const err = await failure(acquireLock(statePath, op))
      expect(err.message).toBe(`refusing to use the state lock ${statePath}.lock: it is a symbolic link`)
      expect(await readFile(target, 'utf8')).toBe('precious')
    })

    it('fails when there is no lock', async () => {
      const statePath = join(await makeTmpDir(), 'state.json')
      expect((await failure(forceUnlock(statePath, 'x'))).message).toBe(
        `the state ${statePath} is not locked (no ${statePath}.lock)`,
      )
    })
  })

  describe('across processes', () => {
    it('is released when the holder exits without releasing it', async () => {
      const statePath = join(await makeTmpDir(), 'state.json')
      const child = runChild('child-locker.ts', ['exit', statePath])
      const info = JSON.parse(await firstLine(child)) as LockInfo
      expect(info.pid).toBe(child.pid)
      expect((await child).exitCode).toBe(0)
      expect(await readLock(statePath)).toBeNull()
    })

    it.each(['SIGTERM', 'SIGINT'] as const)(
      'is released when the holder gets %s, which still ends it',
      async (signal) => {
        const statePath = join(await makeTmpDir(), 'state.json')
        const child = runChild('child-locker.ts', ['hold', statePath])
        await firstLine(child)
        expect((await readLock(statePath))?.kind).toBe('held')
        child.kill(signal)
        const result = await child
        expect(result.signal).toBe(signal)
        expect(await readLock(statePath)).toBeNull()
      },
    )

    it('is taken over after the holder was SIGKILLed', async () => {
      const statePath = join(await makeTmpDir(), 'state.json')
      const child = runChild('child-locker.ts', ['hold', statePath])
      const info = JSON.parse(await firstLine(child)) as LockInfo
      child.kill('SIGKILL')
      await child
      // SIGKILL cannot be caught: the lock stays behind…
      expect(await readLock(statePath)).toEqual({kind: 'held', info})
      // …and the next dockwall on this host sees its holder is gone.
      const warnings: string[] = []
      const lock = await acquireLock(statePath, {...op, warn: (m) => warnings.push(m)})
      expect(warnings[0]).toMatch(new RegExp(`^taking over the state lock of pid ${info.pid} `))
      await lock.release()
    })

    it('serialises N processes racing to change the state: final serial N, file always valid', async () => {
      const dir = await makeTmpDir()
      const statePath = join(dir, 'state.json')
      const goFile = join(dir, 'go')
      const n = 6
      // Start the race from a stale lock, so the takeover itself is raced too.
      await writeLockFile(statePath, {pid: await deadPid()})
      const children = Array.from({length: n}, (_, i) =>
        runChild('child-locker.ts', ['increment', statePath, `p${i}`, goFile]),
      )
      // Let them all start (loading TypeScript takes a moment), then release them at once.
      await Promise.all(children.map((c) => firstLine(c)))
      await writeFile(goFile, '')
      let reads = 0
      let done = false
      const all = Promise.all(children).finally(() => {
        done = true
      })
      while (!done) {
        const s = await readState(statePath) // throws if the file were ever invalid
        if (s) reads++
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      const results = await all
      for (const r of results) expect(r.exitCode, r.all).toBe(0)
      const final = await readState(statePath)
      expect(final?.serial).toBe(n)
      expect(final?.resources.map((r) => r.address)).toEqual(Array.from({length: n}, (_, i) => `rule.p${i}`))
      expect(await readLock(statePath)).toBeNull()
      expect(reads).toBeGreaterThan(0)
    }, 120_000)

    it('control: without the lock, the same race goes wrong', async () => {
      // Shows the race above is a real one: the lock is what makes it come out right.
      // writeState's own check (refuse a file that changed since it was read) catches
      // some of the collisions, but between its check and its rename another writer
      // can still slip in: it is a safety net, not a lock.
      const dir = await makeTmpDir()
      const statePath = join(dir, 'state.json')
      const goFile = join(dir, 'go')
      const n = 6
      const children = Array.from({length: n}, (_, i) =>
        runChild('child-locker.ts', ['increment-unlocked', statePath, `p${i}`, goFile]),
      )
      await Promise.all(children.map((c) => firstLine(c)))
      await writeFile(goFile, '')
      const results = await Promise.all(children)
      const failed = results.filter((r) => r.exitCode !== 0)
      for (const r of failed)
        expect(r.all).toMatch(
          /not overwriting state file .*: (it changed since dockwall read it|the file appeared after dockwall found none)/,
        )
      const final = await readState(statePath)
      // The file is still always valid, but not every update made it.
      expect(final?.resources.length).toBeLessThan(n)
      expect(final?.serial).toBeLessThan(n)
    }, 120_000)
  })
})
