// readProcNet for a namespace given by path that dockwall itself lives in (the bench and the
// e2e sandboxes run the CLI inside the `--netns` they name): /proc/self/net, no /proc scan
// (a readlink per process on the machine, before the first iptables-save starts: issue 16).
import * as fs from 'node:fs'
import {describe, expect, it, vi} from 'vitest'

import {readProcNet} from '../../../src/util/netns.js'

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof fs>()
  return {...real, readdirSync: vi.fn(real.readdirSync)}
})

describe('readProcNet of its own namespace by path', () => {
  it('reads /proc/self/net without scanning /proc', () => {
    // Given the path of the namespace this process lives in
    const path = `/proc/${process.pid}/ns/net`
    // When a /proc/net file is read through it
    const dev = readProcNet({kind: 'path', path}, 'dev')
    // Then it is this namespace's, and no /proc entry was listed to find a process there
    expect(dev).toEqual(readProcNet({kind: 'current'}, 'dev'))
    expect(vi.mocked(fs.readdirSync)).not.toHaveBeenCalledWith('/proc')
  })
})
