// stageState prepares a state write (encoded, written and synced to a temporary file)
// that commit() finishes with writeState's own checks and a rename; discard() leaves
// everything as it was. Apply stages the state while iptables-restore runs.
import {chmod, readdir, readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {AbortError} from '../../../src/errors.js'
import {encodeState} from '../../../src/state/format.js'
import {putResource} from '../../../src/state/resources.js'
import {readState, stageState, writeState} from '../../../src/state/store.js'
import {makeTmpDir, network, rule, sampleState} from './helpers.js'

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777

describe('staged state writes', () => {
  it('commits exactly what writeState writes: bytes, serial, mode', async () => {
    const dir = await makeTmpDir()
    const a = join(dir, 'a.json')
    const b = join(dir, 'b.json')
    const s1a = await writeState(a, sampleState(), null)
    const s1b = await writeState(b, sampleState(), null)
    const next = putResource(s1a, rule('new'))
    const written = await writeState(a, next, s1a)
    const staged = await stageState(b, {...next, lineage: s1b.lineage}, s1b)
    // Nothing changes before the commit
    expect(await readFile(b, 'utf8')).toBe(encodeState(s1b))
    const committed = await staged.commit()
    expect(committed.serial).toBe(written.serial)
    expect((await readFile(b, 'utf8')).replace(s1b.lineage, 'L')).toBe(
      (await readFile(a, 'utf8')).replace(s1a.lineage, 'L'),
    )
    expect(await mode(b)).toBe(0o600)
    expect(await readState(b)).toEqual(committed)
    // No temporary file left behind
    expect((await readdir(dir)).filter((f) => f.includes('staged'))).toEqual([])
  })

  it('discard leaves the state file and the directory as they were', async () => {
    const dir = await makeTmpDir()
    const path = join(dir, 'state.json')
    const s1 = await writeState(path, sampleState(), null)
    const before = await readdir(dir)
    const staged = await stageState(path, putResource(s1, network('x')), s1)
    expect((await readdir(dir)).some((f) => f.includes('staged'))).toBe(true)
    await staged.discard()
    expect(await readdir(dir)).toEqual(before)
    expect(await readFile(path, 'utf8')).toBe(encodeState(s1))
  })

  it('checks for another writer at commit time, not at staging time', async () => {
    const dir = await makeTmpDir()
    const path = join(dir, 'state.json')
    const s1 = await writeState(path, sampleState(), null)
    const staged = await stageState(path, putResource(s1, network('ours')), s1)
    // Another writer moves the file on while the restore runs
    const theirs = encodeState({...putResource(s1, network('theirs')), serial: 2})
    await writeFile(path, theirs)
    const err = await staged.commit().catch((error: unknown) => error)
    expect(err).toBeInstanceOf(AbortError)
    expect((err as AbortError).message).toMatch(
      /^not overwriting state file .*: it changed since dockwall read it \(serial 1, now 2\)/,
    )
    expect(await readFile(path, 'utf8')).toBe(theirs)
    const files = await readdir(dir)
    expect(files.some((f) => f.startsWith('state.json.conflict-'))).toBe(true)
    expect(files.filter((f) => f.includes('staged'))).toEqual([])
  })

  it('creates a new state file, and backs up an existing one before its first overwrite', async () => {
    const dir = await makeTmpDir()
    const fresh = join(dir, 'fresh.json')
    const s = await (await stageState(fresh, sampleState(), null)).commit()
    expect(s.serial).toBe(1)
    expect(await readFile(fresh, 'utf8')).toBe(encodeState(s))

    const path = join(dir, 'state.json')
    const earlierText = encodeState({...sampleState(), serial: 5})
    await writeFile(path, earlierText, {mode: 0o600})
    const s5 = await readState(path)
    await (await stageState(path, putResource(s5!, network('x')), s5)).commit()
    expect(await readFile(`${path}.backup`, 'utf8')).toBe(earlierText)
  })

  it('tightens loose permissions at commit, as writeState does', async () => {
    const path = join(await makeTmpDir(), 'state.json')
    const s1 = await writeState(path, sampleState(), null)
    await chmod(path, 0o644)
    const warnings: string[] = []
    await (await stageState(path, putResource(s1, network('x')), s1, {warn: (m) => warnings.push(m)})).commit()
    expect(await mode(path)).toBe(0o600)
    expect(warnings).toHaveLength(1)
  })
})
