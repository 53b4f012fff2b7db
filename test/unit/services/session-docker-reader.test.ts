// A session reads Docker with the small reader (connectDockerReader), not dockerode:
// dockerode's load (ssh2, grpc, protobufjs, docker-modem) was about a quarter of a small
// `dockwall plan`'s CPU time and 0.25 s of every apply (issue 13). dockerode is loaded
// when apply first changes something in Docker (session.dockerWriter), once.
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {openSession, type SessionOptions} from '../../../src/services/session.js'

const loaded = vi.hoisted(() => ({dockerode: 0}))
vi.mock('dockerode', async (importOriginal) => {
  loaded.dockerode++
  return importOriginal()
})

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockwall-session-reader-'))
  process.env.DOCKWALL_CACHE_DIR = join(dir, '.cache')
  await writeFile(join(dir, 'main.hcl.json'), JSON.stringify({network: {front: {subnet: '10.10.1.0/24'}}}))
})
afterEach(async () => {
  delete process.env.DOCKWALL_CACHE_DIR
  await rm(dir, {recursive: true, force: true})
})

function options(): SessionOptions {
  return {
    config: dir,
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
})
