import type {Buffer} from 'node:buffer'
import {chmod, mkdir, readdir, readFile, rm, stat, symlink, writeFile} from 'node:fs/promises'
import process from 'node:process'
import {join} from 'node:path'

import {execa} from 'execa'
import {describe, expect, it} from 'vitest'

import {AbortError} from '../../../src/errors.js'
import {decodeState, encodeState} from '../../../src/state/format.js'
import {putResource, removeResources} from '../../../src/state/resources.js'
import {checkStateFiles, readState, stageState, writeState} from '../../../src/state/store.js'
import {makeTmpDir, network, rule, runChild, sampleState} from './helpers.js'

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777

describe('state store', () => {
  it('reads null when there is no file', async () => {
    const dir = await makeTmpDir()
    expect(await readState(join(dir, 'dockwall.state.json'))).toBeNull()
  })

  it('creates the file with serial 1, mode 0600, in a new 0700 directory', async () => {
    const dir = await makeTmpDir()
    const path = join(dir, 'var/lib/dockwall/state.json')
    const written = await writeState(path, sampleState(), null)
    expect(written.serial).toBe(1)
    expect(await mode(path)).toBe(0o600)
    expect(await mode(join(dir, 'var/lib/dockwall'))).toBe(0o700)
    expect(await mode(join(dir, 'var'))).toBe(0o700)
    expect(await readState(path)).toEqual(written)
    expect(await readdir(join(dir, 'var/lib/dockwall'))).toEqual(['state.json']) // no backup of nothing, no temp files
  })

  it('bumps the serial only when the content changes', async () => {
    const path = join(await makeTmpDir(), 'state.json')
    const s1 = await writeState(path, sampleState(), null)
    const ino = (await stat(path)).ino
    // Same content: same serial, and the file is not rewritten at all.
    const s1again = await writeState(path, {...s1, serial: 99}, s1)
    expect(s1again.serial).toBe(1)
    expect((await stat(path)).ino).toBe(ino)
    // New content: serial + 1.
    const s2 = await writeState(path, putResource(s1, network('backend')), s1)
    expect(s2.serial).toBe(2)
    const s3 = await writeState(path, removeResources(s2, ['network.backend']), s2)
    expect(s3.serial).toBe(3)
    // Only the tool version differs: rewritten, same serial.
    const s4 = await writeState(path, {...s3, dockwallVersion: '0.2.0'}, s3)
    expect(s4.serial).toBe(3)
    expect((await readState(path))?.dockwallVersion).toBe('0.2.0')
  })

  it('keeps the lineage and refuses to change it', async () => {
    const path = join(await makeTmpDir(), 'state.json')
    const s1 = await writeState(path, sampleState(), null)
    const s2 = await writeState(path, putResource(s1, network('x')), s1)
    expect(s2.lineage).toBe(s1.lineage)
    await expect(writeState(path, sampleState(), s2)).rejects.toThrow(/lineage changed/)
  })

  it('writes equal states as identical bytes', async () => {
    const dir = await makeTmpDir()
    const a = sampleState([rule('b'), network('a'), rule('a')])
    const b = {...a, resources: [...a.resources].reverse()}
    await writeState(join(dir, 'a.json'), a, null)
    await writeState(join(dir, 'b.json'), b, null)
    expect(await readFile(join(dir, 'a.json'), 'utf8')).toBe(await readFile(join(dir, 'b.json'), 'utf8'))
  })

  it('backs up the previous file once per process, before the first overwrite', async () => {
    const path = join(await makeTmpDir(), 'state.json')
    // A file from an earlier run (written here by hand, as another process would have).
    const earlier = {...sampleState(), serial: 5}
    const earlierText = encodeState(earlier)
    await writeFile(path, earlierText, {mode: 0o600})
    const s5 = await readState(path)
    // First overwrite: the backup is the earlier file, byte for byte, mode 0600.
    const s6 = await writeState(path, putResource(s5!, network('x')), s5)
    expect(await readFile(`${path}.backup`, 'utf8')).toBe(earlierText)
    expect(await mode(`${path}.backup`)).toBe(0o600)
    // Later writes in the same process keep that backup: it is the state before this run.
    await writeState(path, putResource(s6, network('y')), s6)
    expect(await readFile(`${path}.backup`, 'utf8')).toBe(earlierText)
  })

  it('tightens a state file with loose permissions, and says so', async () => {
    const path = join(await makeTmpDir(), 'state.json')
    const s1 = await writeState(path, sampleState(), null)
    await chmod(path, 0o644)
    const warnings: string[] = []
    // Even when there is nothing new to write.
    await writeState(path, s1, s1, {warn: (m) => warnings.push(m)})
    expect(await mode(path)).toBe(0o600)
    expect(warnings).toEqual([`state file ${path} was accessible to other users (mode 0644); changed it to 0600`])
    await chmod(path, 0o666)
    const s2 = await writeState(path, putResource(s1, network('x')), s1, {warn: (m) => warnings.push(m)})
    expect(s2.serial).toBe(2)
    expect(await mode(path)).toBe(0o600)
    expect(warnings).toHaveLength(2)
  })

  it('refuses to overwrite a file changed by someone else, and keeps both versions', async () => {
    const dir = await makeTmpDir()
    const path = join(dir, 'state.json')
    const s1 = await writeState(path, sampleState(), null)
    // Another writer (without the lock) moves the file on.
    const theirs = encodeState({...putResource(s1, network('theirs')), serial: 2})
    await writeFile(path, theirs)
    const ours = putResource(s1, network('ours'))
    const err = await writeState(path, ours, s1).catch((error: unknown) => error)
    expect(err).toBeInstanceOf(AbortError)
    expect((err as AbortError).message).toMatch(
      /^not overwriting state file .*state\.json: it changed since dockwall read it \(serial 1, now 2\)\. The state dockwall meant to write \(serial 2\) is saved in .*state\.json\.conflict-/,
    )
    expect(await readFile(path, 'utf8')).toBe(theirs)
    const conflict = (await readdir(dir)).find((f) => f.startsWith('state.json.conflict-'))
    expect(conflict).toBeDefined()
    expect(await mode(join(dir, conflict!))).toBe(0o600)
    expect(decodeState(await readFile(join(dir, conflict!), 'utf8'), 'c').resources.map((r) => r.address)).toContain(
      'network.ours',
    )
  })

  it('refuses to create a file that appeared after the caller found none', async () => {
    const path = join(await makeTmpDir(), 'state.json')
    await writeState(path, sampleState(), null)
    await expect(writeState(path, sampleState(), null)).rejects.toThrow(/the file appeared after dockwall found none/)
  })

  it('refuses to overwrite a file that no longer parses', async () => {
    const path = join(await makeTmpDir(), 'state.json')
    const s1 = await writeState(path, sampleState(), null)
    await writeFile(path, '{"version": 1, "ser')
    await expect(writeState(path, putResource(s1, network('x')), s1)).rejects.toThrow(
      /it no longer holds a readable state \(state file .* is not valid JSON/,
    )
    expect(await readFile(path, 'utf8')).toBe('{"version": 1, "ser')
  })

  it('writes the state again if the file disappeared, with a warning', async () => {
    const dir = await makeTmpDir()
    const path = join(dir, 'state.json')
    const s1 = await writeState(path, sampleState(), null)
    await writeFile(path, '') // made empty, then removed
    await import('node:fs/promises').then((fs) => fs.unlink(path))
    const warnings: string[] = []
    const s2 = await writeState(path, putResource(s1, network('x')), s1, {warn: (m) => warnings.push(m)})
    expect(s2.serial).toBe(2)
    expect(warnings[0]).toMatch(/had disappeared since dockwall read it; writing it again/)
    expect((await readState(path))?.serial).toBe(2)
  })

  it('accepts a file another process rewrote with the same content (it reads it again to compare)', async () => {
    const path = join(await makeTmpDir(), 'state.json')
    const s1 = await writeState(path, sampleState(), null)
    // Same state, different bytes (pretty-printed differently): not a conflict.
    await writeFile(path, JSON.stringify(JSON.parse(encodeState(s1))))
    const s2 = await writeState(path, putResource(s1, network('x')), s1)
    expect(s2.serial).toBe(2)
  })

  it("checks the caller's lock before writing anything", async () => {
    const path = join(await makeTmpDir(), 'state.json')
    const s1 = await writeState(path, sampleState(), null)
    const lost = {
      check: async () => {
        throw new AbortError('dockwall no longer holds the state lock')
      },
    }
    await expect(writeState(path, putResource(s1, network('x')), s1, {lock: lost})).rejects.toThrow(
      /no longer holds the state lock/,
    )
    expect((await readState(path))?.serial).toBe(1)
  })

  it('reports an unreadable file with its path', async () => {
    const dir = await makeTmpDir()
    await mkdir(join(dir, 'state.json'))
    await expect(readState(join(dir, 'state.json'))).rejects.toThrow(
      /^cannot read the state file .*state\.json: EISDIR/,
    )
  })

  it('never leaves a truncated file when the writer is killed mid-write', async () => {
    const dir = await makeTmpDir()
    const path = join(dir, 'state.json')
    // The store's temp file: `state.json.tmp-<pid>-<hex>`, present only while a write is under way.
    const isTemp = (f: string): boolean => /^state\.json\.tmp-\d+-[0-9a-f]+$/.test(f)
    await writeState(path, sampleState([]), null)
    let lastSerial = 0
    let midWriteKills = 0
    for (let round = 0; round < 3; round++) {
      // A child writes a 2.5 MB state (4,000 rules) over and over.
      const child = runChild('child-writer.ts', [path, '4000'])
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('wrote')) resolve()
        })
        void child.then((r) => reject(new Error(`writer exited early: ${r.all}`)))
      })
      // Meanwhile a reader always finds a complete, valid state.
      const until = Date.now() + 50 + Math.random() * 250
      while (Date.now() < until) expect((await readState(path))?.resources).toHaveLength(4000)
      // Kill it the moment a write is under way (its temp file exists).
      while (!(await readdir(dir)).some(isTemp)) {
        /* poll */
      }
      child.kill('SIGKILL')
      expect((await child).signal).toBe('SIGKILL')
      // SIGKILL cannot be cleaned up after: a temp file left behind proves the write was cut short.
      const temps = (await readdir(dir)).filter(isTemp)
      if (temps.length > 0) midWriteKills++
      await Promise.all(temps.map((f) => rm(join(dir, f))))
      // The state file is whole: the previous state or the new one, never a part.
      const after = await readState(path)
      expect(after?.resources).toHaveLength(4000)
      expect(after!.serial).toBeGreaterThan(lastSerial)
      lastSerial = after!.serial
    }
    expect(midWriteKills).toBeGreaterThan(0)
  }, 120_000)

  describe('symbolic links (dockwall runs as root)', () => {
    const linkMessage = (p: string): string =>
      `refusing to use ${p}: it is a symbolic link, and dockwall (running as root) never reads or writes its state through one`

    it('refuses to read a state file that is a link, naming it', async () => {
      const dir = await makeTmpDir()
      await writeFile(join(dir, 'real.json'), encodeState(sampleState()))
      await symlink(join(dir, 'real.json'), join(dir, 'state.json'))
      const err = await readState(join(dir, 'state.json')).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(AbortError)
      expect((err as AbortError).message).toBe(linkMessage(join(dir, 'state.json')))
    })

    it('refuses to write a backup through a link: its target keeps its bytes and its mode', async () => {
      const dir = await makeTmpDir()
      const path = join(dir, 'state.json')
      // Written by hand, as an earlier run would have: this process has not backed it up yet.
      await writeFile(path, encodeState({...sampleState([network('a')]), serial: 4}), {mode: 0o600})
      const s1 = (await readState(path))!
      const victim = join(dir, 'victim')
      await writeFile(victim, 'precious\n', {mode: 0o644})
      await symlink(victim, `${path}.backup`)
      const before = await readFile(path, 'utf8')
      const err = await writeState(path, putResource(s1, network('b')), s1).catch((e: unknown) => e)
      expect((err as AbortError).message).toBe(linkMessage(`${path}.backup`))
      expect(await readFile(victim, 'utf8')).toBe('precious\n')
      expect(await mode(victim)).toBe(0o644)
      // The state itself is untouched too.
      expect(await readFile(path, 'utf8')).toBe(before)
      // The preflight check of a session says the same before anything happens.
      expect(((await checkStateFiles(path).catch((e: unknown) => e)) as AbortError).message).toBe(
        linkMessage(`${path}.backup`),
      )
    })

    it('refuses to stage over a state file that is a link', async () => {
      const dir = await makeTmpDir()
      await writeFile(join(dir, 'real.json'), encodeState(sampleState()))
      await symlink(join(dir, 'real.json'), join(dir, 'state.json'))
      const err = await stageState(join(dir, 'state.json'), sampleState([network('a')]), null).catch((e: unknown) => e)
      expect((err as AbortError).message).toBe(linkMessage(join(dir, 'state.json')))
    })
  })

  it("removes the temp files of killed runs (pid gone), and leaves a live process's", async () => {
    const dir = await makeTmpDir()
    const path = join(dir, 'state.json')
    // A pid that existed a moment ago and is gone now.
    const dead = execa(process.execPath, ['-e', ''])
    const deadPid = dead.pid!
    await dead
    // The backup is written atomically too: a kill mid-write leaves its temp file (found by the faults e2e).
    const left = [
      `state.json.staged-${deadPid}-0a1b2c3d`,
      `state.json.tmp-${deadPid}-deadbeef`,
      `state.json.backup.tmp-${deadPid}-0badf00d`,
    ]
    const live = [`state.json.staged-${process.ppid}-00ff00ff`, `state.json.backup.tmp-${process.ppid}-00ff00ff`]
    for (const f of [...left, ...live, 'state.json.unrelated', 'state.json.backup']) await writeFile(join(dir, f), 'x')
    await checkStateFiles(path)
    expect((await readdir(dir)).sort()).toEqual([...live, 'state.json.unrelated', 'state.json.backup'].sort())
  })
})
