// Watching the configuration: which names count, and re-arming a watch that fails.
import {EventEmitter} from 'node:events'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {ConfigWatcher, watchTargets, type WatchFn} from '../../../src/watch/config-watch.js'
import {FakeClock} from './fake-clock.js'

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, {recursive: true, force: true})))
})

async function configDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dockwall-watch-'))
  dirs.push(dir)
  await mkdir(join(dir, 'vars'))
  await writeFile(join(dir, 'main.hcl'), '')
  return dir
}

describe('watchTargets', () => {
  it('accepts the configuration files of a directory, never the state file, its lock or editor files', async () => {
    const dir = await configDir()
    const [t, ...rest] = watchTargets(dir)
    expect(rest).toEqual([])
    expect(t?.dir).toBe(dir)
    for (const name of ['main.hcl', '20-rules.hcl', 'extra.hcl.json', '..data', '..2026_11_23_12_00_00.123'])
      expect(t?.accept(name), name).toBe(true)
    for (const name of [
      'dockwall.state.json',
      'dockwall.state.json.lock',
      'dockwall.state.json.backup',
      '.main.hcl.swp',
      'main.hcl~',
      '4913',
      '.#main.hcl',
      'notes.txt',
    ]) {
      expect(t?.accept(name), name).toBe(false)
    }
  })

  it('watches a single file and the variable files through their directories', async () => {
    const dir = await configDir()
    const targets = watchTargets(join(dir, 'main.hcl'), [join(dir, 'vars', 'prod.json'), join(dir, 'site.hcl')])
    expect(targets.map((t) => t.dir)).toEqual([dir, join(dir, 'vars')])
    const [top, vars] = targets
    expect(['main.hcl', 'site.hcl', 'other.hcl', 'prod.json'].map((n) => top?.accept(n))).toEqual([
      true,
      true,
      false,
      false,
    ])
    expect(['prod.json', 'dev.json'].map((n) => vars?.accept(n))).toEqual([true, false])
  })
})

class FakeWatcher extends EventEmitter {
  closed = false
  close(): void {
    this.closed = true
  }
}

describe('ConfigWatcher', () => {
  it('reports changes to configuration files only', async () => {
    const dir = await configDir()
    const watchers: {dir: string; listener: (e: string, f: string | null) => void; w: FakeWatcher}[] = []
    const watch: WatchFn = (d, listener) => {
      const w = new FakeWatcher()
      watchers.push({dir: d, listener, w})
      return w
    }
    const changes: string[] = []
    const cw = new ConfigWatcher({
      config: dir,
      clock: new FakeClock(),
      watch,
      onChange: (f) => void changes.push(f),
      onError: () => {},
    })
    cw.start()
    expect(watchers.map((w) => w.dir)).toEqual([dir])
    const fire = watchers[0]!.listener
    fire('change', 'main.hcl')
    fire('rename', 'dockwall.state.json.tmp-123')
    fire('rename', 'dockwall.state.json')
    fire('change', '.main.hcl.swp')
    fire('rename', 'new.hcl.json')
    fire('change', null)
    expect(changes).toEqual(['main.hcl', 'new.hcl.json', dir])
    cw.stop()
    expect(watchers[0]!.w.closed).toBe(true)
  })

  it('re-arms a watch that fails, with backoff, and reports the failure once', async () => {
    const dir = await configDir()
    const clock = new FakeClock()
    let calls = 0
    const made: FakeWatcher[] = []
    const watch: WatchFn = () => {
      calls++
      if (calls === 2 || calls === 3) throw new Error('ENOSPC: inotify watch limit reached')
      const w = new FakeWatcher()
      made.push(w)
      return w
    }
    const errors: string[] = []
    const cw = new ConfigWatcher({
      config: dir,
      clock,
      watch,
      onChange: () => {},
      onError: (m) => void errors.push(m),
      rearmMs: 1000,
    })
    cw.start()
    made[0]!.emit('error', new Error('watched directory removed'))
    expect(made[0]!.closed).toBe(true)
    await clock.advance(1000) // attempt 2 fails
    await clock.advance(2000) // attempt 3 fails
    expect(calls).toBe(3)
    await clock.advance(4000) // attempt 4 works
    expect(calls).toBe(4)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/watching .* failed: watched directory removed; retrying/)
    cw.stop()
    expect(clock.pending).toBe(0)
  })
})
