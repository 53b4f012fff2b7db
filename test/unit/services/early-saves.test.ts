// openSession reads the host before the state lock is held (src/services/session.ts) and
// keeps that read only when no other dockwall can have written since it started.
import {mkdtempSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {earlySavesHold} from '../../../src/services/session.js'

describe('earlySavesHold', () => {
  const dirs: string[] = []
  const statePath = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'dockwall-early-'))
    dirs.push(dir)
    return join(dir, 'state.json')
  }
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, {recursive: true, force: true})
  })

  it('keeps the read when there is no state file and nobody held the lock', async () => {
    expect(await earlySavesHold(statePath(), Date.now(), false)).toBe(true)
  })

  it('drops it when another dockwall held the lock when it was asked for', async () => {
    expect(await earlySavesHold(statePath(), Date.now(), true)).toBe(false)
  })

  it('keeps it when the state was written before the read started', async () => {
    const p = statePath()
    writeFileSync(p, '{}')
    const past = new Date(Date.now() - 60_000)
    utimesSync(p, past, past)
    // ctime cannot be set back: the read started after it (and after the coarse clock's slack)
    expect(await earlySavesHold(p, Date.now() + 200, false)).toBe(true)
  })

  it('drops it when the state was written after the read started (an apply that finished before the lock was asked for)', async () => {
    const p = statePath()
    const from = Date.now() - 5_000
    writeFileSync(p, '{}')
    expect(await earlySavesHold(p, from, false)).toBe(false)
  })

  it('drops it when the state was stamped just before the read started (file times lag the clock by a tick)', async () => {
    const p = statePath()
    writeFileSync(p, '{}')
    // Stamped (mtime and ctime) about 50 ms before the read started.
    expect(await earlySavesHold(p, Date.now() + 50, false)).toBe(false)
  })

  it('drops it when the state cannot be looked at for another reason than its absence', async () => {
    const p = statePath()
    // A path through a file: ENOTDIR, not ENOENT.
    writeFileSync(p, '{}')
    expect(await earlySavesHold(join(p, 'state.json'), Date.now(), false)).toBe(false)
  })
})
