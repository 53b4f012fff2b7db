// A session reads Docker with the small reader (connectDockerReader), not dockerode:
// dockerode's load (ssh2, grpc, protobufjs, docker-modem) was about a quarter of a small
// `dockwall plan`'s CPU time and 0.25 s of every apply (issue 13). dockerode is loaded
// when apply first changes something in Docker (session.dockerWriter), once.
//
// And the host's iptables-save starts before the configuration is read, to run while it is
// loaded and the state decoded (issue 13: 0.3-0.6 s of save beside as much of loading at
// 20,000 rules on nft); the session keeps it once the lock is held without waiting, and the
// first refresh of that host and backend takes it, once. Stubbed here: a unit test must not
// run iptables on this machine.
import {mkdtemp, rm, utimes, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import type {NamespaceSaves, RawSaves} from '../../../src/refresh/namespace.js'
import {EARLY_SAVES_MIN_BYTES, openSession, type SessionOptions} from '../../../src/services/session.js'
import type {NetnsTarget} from '../../../src/util/exec.js'

const loaded = vi.hoisted(() => ({dockerode: 0}))
const saves = vi.hoisted(() => ({
  calls: [] as unknown[][],
  started: [] as Array<{target: unknown; opts: {ipv6: boolean; signal?: AbortSignal}; saves: Promise<RawSaves>}>,
}))
vi.mock('../../../src/refresh/namespace.js', () => ({
  startSaves: (target: unknown, opts: {ipv6: boolean; signal?: AbortSignal}): Promise<RawSaves> => {
    const started = Promise.resolve<RawSaves>([{nft: ''}, {nft: ''}])
    saves.started.push({target, opts, saves: started})
    return started
  },
  readNamespaceSaves: (...args: unknown[]): Promise<NamespaceSaves> => {
    saves.calls.push(args)
    return Promise.resolve({backend: 'nft', reason: 'nft: stub', v4: {nft: ''}})
  },
}))
vi.mock('dockerode', async (importOriginal) => {
  loaded.dockerode++
  return importOriginal()
})

let dir: string
beforeEach(async () => {
  saves.calls.length = 0
  saves.started.length = 0
  dir = await mkdtemp(join(tmpdir(), 'dockwall-session-reader-'))
  process.env.DOCKWALL_CACHE_DIR = join(dir, '.cache')
  await writeFile(join(dir, 'main.hcl.json'), JSON.stringify({network: {front: {subnet: '10.10.1.0/24'}}}))
  await writeFile(join(dir, 'netns'), '')
})
afterEach(async () => {
  delete process.env.DOCKWALL_CACHE_DIR
  await rm(dir, {recursive: true, force: true})
})

/** A configuration large enough for the host's saves to start before it is read (a long comment). */
async function large(): Promise<void> {
  await writeFile(join(dir, 'padding.hcl'), `# ${'x'.repeat(EARLY_SAVES_MIN_BYTES)}\n`)
}

function options(): SessionOptions {
  return {
    config: dir,
    // A file stands for the namespace: openSession only checks that it exists.
    netns: join(dir, 'netns'),
    state: join(dir, 'dockwall.state.json'),
    lockTimeoutMs: 0,
    dockerHost: `unix://${join(dir, 'docker.sock')}`,
    operation: 'plan',
    warn: () => {},
  }
}

describe('openSession and the Docker client', () => {
  it('reads with the small reader, and dockerode is not imported', async () => {
    const session = await openSession(options())
    try {
      expect(loaded.dockerode).toBe(0)
      expect(session.docker.display).toBe(`unix://${join(dir, 'docker.sock')}`)
      expect(Object.keys(session.docker.client).sort()).toEqual([
        'getContainer',
        'info',
        'listContainers',
        'listNetworks',
        'ping',
        'version',
      ])
    } finally {
      await session.close()
    }
  })

  it('loads dockerode on the first dockerWriter() (a change in Docker), and only once', async () => {
    const session = await openSession(options())
    try {
      expect(loaded.dockerode).toBe(0)
      const [a, b] = await Promise.all([session.dockerWriter(), session.dockerWriter()])
      expect(a).toBe(b)
      expect(loaded.dockerode).toBe(1)
      expect(typeof a.client.createNetwork).toBe('function')
      expect(a.display).toBe(`unix://${join(dir, 'docker.sock')}`)
    } finally {
      await session.close()
    }
  })

  it("starts the host's saves before a large configuration is read, keeps them once the lock is held, and gives them to the first refresh of that host and backend only", async () => {
    await large()
    const session = await openSession({...options(), backend: 'legacy'})
    try {
      const host: NetnsTarget = {kind: 'path', path: join(dir, 'netns')}
      // Started before the lock, both families; kept (nobody held the lock, no state written since).
      expect(saves.started).toHaveLength(1)
      expect(saves.started[0]).toMatchObject({target: host, opts: {ipv6: true}})
      expect(saves.started[0]!.opts.signal?.aborted).toBe(false)
      expect(saves.calls).toEqual([[host, 'legacy', {ipv6: true}, saves.started[0]!.saves]])
      expect(session.takeHostSaves({kind: 'current'}, 'legacy')).toBeUndefined()
      // Taken (by the wrong caller above): every later refresh reads again.
      expect(session.takeHostSaves(host, 'legacy')).toBeUndefined()
    } finally {
      await session.close()
    }
    const again = await openSession({...options(), backend: 'legacy'})
    try {
      const host: NetnsTarget = {kind: 'path', path: join(dir, 'netns')}
      expect(again.takeHostSaves(host, 'nft')).toBeUndefined()
      const other = await openSession({...options(), backend: 'legacy', lock: false})
      try {
        const first = other.takeHostSaves(host, 'legacy')
        expect(await first).toEqual({backend: 'nft', reason: 'nft: stub', v4: {nft: ''}})
        expect(other.takeHostSaves(host, 'legacy')).toBeUndefined()
      } finally {
        await other.close()
      }
    } finally {
      await again.close()
    }
  })

  it("starts Docker's list calls with the host's saves, and gives them to the first refresh only", async () => {
    const session = await openSession(options())
    try {
      const early = session.takeDockerLists()
      expect(early).toBeInstanceOf(Promise)
      // No engine behind this socket: the early read fails, for the refresh to report.
      await expect(early).rejects.toThrow(/docker\.sock/)
      expect(session.takeDockerLists()).toBeUndefined()
    } finally {
      await session.close()
    }
  })

  it('reads the host once the lock is held for a small configuration', async () => {
    const session = await openSession(options())
    try {
      expect(saves.started).toEqual([])
      expect(saves.calls).toEqual([[{kind: 'path', path: join(dir, 'netns')}, 'auto', {ipv6: true}, undefined]])
    } finally {
      await session.close()
    }
  })

  it('uses nothing read of the host when the lock is not had, and kills the saves started before', async () => {
    await large()
    const holder = await openSession(options())
    saves.calls.length = 0
    saves.started.length = 0
    try {
      await expect(openSession(options())).rejects.toThrow(/lock/i)
      expect(saves.calls).toEqual([])
      expect(saves.started).toHaveLength(1)
      expect(saves.started[0]!.opts.signal?.aborted).toBe(true)
    } finally {
      await holder.close()
    }
  })

  it('kills the saves started before, and uses none, when the configuration is wrong', async () => {
    await large()
    await writeFile(join(dir, 'main.hcl.json'), '{"network": {"front": {"subnet": 7}}}')
    await expect(openSession(options())).rejects.toThrow()
    expect(saves.calls).toEqual([])
    expect(saves.started[0]!.opts.signal?.aborted).toBe(true)
  })

  it('reads the host again when the state was written after its saves started', async () => {
    // A state file written "in the future" stands for an apply that finished after the saves started.
    const statePath = join(dir, 'dockwall.state.json')
    await large()
    const first = await openSession(options())
    await first.close()
    expect(saves.calls[0]![3]).toBe(saves.started[0]!.saves)
    saves.calls.length = 0
    saves.started.length = 0
    // Any state file: its times are what count.
    await writeFile(statePath, '')
    const later = new Date(Date.now() + 60_000)
    await utimes(statePath, later, later)
    await expect(openSession(options())).rejects.toThrow(/empty/)
    expect(saves.calls).toHaveLength(1)
    expect(saves.calls[0]![3]).toBeUndefined()
    expect(saves.started[0]!.opts.signal?.aborted).toBe(true)
  })
})
