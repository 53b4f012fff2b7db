// The reconciler's configuration handling (no Docker, no iptables): the last good
// model stays in force when the files turn invalid, errors are reported once with
// their position, and which Docker events count.
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import type {Diagnostic} from '../../../src/errors.js'
import {formatDiagnostic} from '../../../src/errors.js'
import {acquireLock} from '../../../src/state/index.js'
import type {Clock} from '../../../src/watch/clock.js'
import {Reconciler} from '../../../src/watch/reconcile.js'

const GOOD = `network "front" {
  name    = "dw-front"
  subnet  = "10.77.1.0/24"
  gateway = "10.77.1.1"
}

container "web" {
  name = "dw-web"
  network "front" {
    ipv4_address = "10.77.1.10"
  }
}
`

const BROKEN = `network "front" {
  subnet  = "10.77.1.0/24"
  gateway =
}
`

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockwall-watch-'))
  vi.stubEnv('DOCKWALL_CACHE_DIR', join(dir, '.cache'))
})

afterEach(async () => {
  vi.unstubAllEnvs()
  await rm(dir, {recursive: true, force: true})
})

function reconciler() {
  const errors: Diagnostic[][] = []
  const r = new Reconciler({
    config: dir,
    lockTimeoutMs: 0,
    allowLockout: false,
    onConfigErrors: (d) => void errors.push(d),
  })
  return {r, errors}
}

describe('Reconciler configuration', () => {
  it('keeps the last good model when the configuration turns invalid, and reports the errors once with their position', async () => {
    // Given a valid configuration
    const {r, errors} = reconciler()
    await writeFile(join(dir, 'main.hcl'), GOOD)
    expect(await r.loadConfig()).toEqual({state: 'ok'})
    const good = r.model
    expect(good?.networks.map((n) => n.name)).toEqual(['dw-front'])

    // When it is broken, and loaded twice
    await writeFile(join(dir, 'main.hcl'), BROKEN)
    const status = await r.loadConfig()
    await r.loadConfig()

    // Then the model in force is still the good one, the error has file:line:column, and it was reported once
    expect(status.state).toBe('invalid')
    expect(status.error).toBe(`${join(dir, 'main.hcl')}:3:12: Invalid expression`)
    expect(r.model).toBe(good)
    expect(errors).toHaveLength(1)
    expect(errors[0]?.map((d) => formatDiagnostic(d).split('\n')[0])).toEqual([
      `${join(dir, 'main.hcl')}:3:12: Invalid expression`,
    ])

    // And a different error is reported again; a fixed configuration takes over
    await writeFile(join(dir, 'main.hcl'), `${GOOD}\nrule "x" {\n  from = container.nope\n}\n`)
    expect((await r.loadConfig()).error).toMatch(
      /main\.hcl:15:\d+: rule\.x: reference to undeclared container container\.nope/,
    )
    expect(errors).toHaveLength(2)
    await writeFile(join(dir, 'main.hcl'), GOOD.replace('10.77.1.10', '10.77.1.11'))
    expect(await r.loadConfig()).toEqual({state: 'ok'})
    expect(r.model).not.toBe(good)
  })

  it('does not reconcile (and does not ask for a retry) before any configuration has loaded', async () => {
    const {r} = reconciler()
    await writeFile(join(dir, 'main.hcl'), BROKEN)
    const outcome = await r.reconcile()
    expect(outcome).toMatchObject({result: 'failed', retry: false, config: {state: 'none'}})
    expect(outcome.error).toBe(`no valid configuration: ${join(dir, 'main.hcl')}:3:12: Invalid expression`)
  })

  it('counts Docker events about the configured containers and networks only (everything before a model loads)', async () => {
    const {r} = reconciler()
    expect(r.isRelevant({type: 'container', action: 'start', id: 'x', name: 'anything'})).toBe(true)
    await writeFile(join(dir, 'main.hcl'), GOOD)
    await r.loadConfig()
    expect(r.isRelevant({type: 'container', action: 'start', id: 'x', name: 'dw-web'})).toBe(true)
    expect(r.isRelevant({type: 'container', action: 'die', id: 'x', name: 'unrelated'})).toBe(false)
    expect(r.isRelevant({type: 'network', action: 'destroy', id: 'n', name: 'dw-front'})).toBe(true)
    expect(r.isRelevant({type: 'network', action: 'connect', id: 'n', name: 'bridge', container: 'not-known'})).toBe(
      false,
    )
  })

  it('waits for a state lock held by another dockwall, and goes on once it is released', async () => {
    // Given a lock held by someone else, and a state file that cannot be read (so nothing past the lock runs)
    await writeFile(join(dir, 'main.hcl'), GOOD)
    const statePath = join(dir, 'dockwall.state.json')
    await writeFile(statePath, 'not json')
    const held = await acquireLock(statePath, {timeoutMs: 0, operation: 'dockwall apply', releaseOnSignal: false})
    // A clock that never runs out and releases the lock when the reconciler starts to wait
    let waits = 0
    const clock: Clock = {
      now: () => 0,
      setTimeout: (fn) => {
        waits++
        void held.release().then(fn)
        return waits
      },
      clearTimeout: () => {},
    }
    const r = new Reconciler({config: dir, state: statePath, lockTimeoutMs: 60_000, allowLockout: false, clock})
    // When it reconciles
    const outcome = await r.reconcile()
    // Then it waited once, took the lock, and stopped at the state file: past the lock
    expect(waits).toBe(1)
    expect(outcome).toMatchObject({result: 'failed', retry: true})
    expect(outcome.error).toMatch(/^state file .*dockwall\.state\.json is not valid JSON/)
  })
})
