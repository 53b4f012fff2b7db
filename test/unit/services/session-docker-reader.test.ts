// A plan only reads Docker, so its session connects with the small reader
// (connectDockerReader), not dockerode: dockerode's load (ssh2, grpc, protobufjs, docker-modem)
// was about a quarter of a small `dockwall plan`'s CPU time (issue 13). Commands that write
// (apply, destroy, import) still get dockerode.
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
  it('with dockerReadOnly: the small reader, and dockerode is never imported', async () => {
    const session = await openSession({...options(), dockerReadOnly: true})
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

  it('without it (apply, destroy, import): dockerode', async () => {
    const session = await openSession(options())
    try {
      expect(loaded.dockerode).toBe(1)
      expect(typeof session.docker.client.createNetwork).toBe('function')
    } finally {
      await session.close()
    }
  })
})
