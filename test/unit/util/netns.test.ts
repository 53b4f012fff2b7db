// /proc/<pid>/net as a window onto a namespace without starting a process (refresh skips
// the legacy saves when no legacy table exists: issue 12's refresh cost).
import {describe, expect, it} from 'vitest'

import {netnsInode, pidsInNetns, readProcNet} from '../../../src/util/netns.js'

describe('readProcNet', () => {
  it('reads a file of the current namespace, line by line', () => {
    const dev = readProcNet({kind: 'current'}, 'dev')
    expect(dev?.some((l) => l.startsWith('lo:'))).toBe(true)
  })

  it('reads it through a process of the namespace', () => {
    expect(readProcNet({kind: 'pid', pid: process.pid}, 'dev')).toEqual(readProcNet({kind: 'current'}, 'dev'))
  })

  it('gives [] for a file the namespace does not have (its module not loaded: no such table)', () => {
    expect(readProcNet({kind: 'current'}, 'no_such_tables_names')).toEqual([])
  })

  it('gives undefined when it cannot see the namespace: a process gone, a path that is no namespace', () => {
    expect(readProcNet({kind: 'pid', pid: 2 ** 30}, 'dev')).toBeUndefined()
    expect(readProcNet({kind: 'path', path: '/nonexistent/netns'}, 'dev')).toBeUndefined()
  })

  it('finds a process living in a namespace given by path', () => {
    const inode = netnsInode({kind: 'current'})
    expect(inode).toBeDefined()
    expect([...pidsInNetns(inode!)]).toContain(String(process.pid))
    expect(readProcNet({kind: 'path', path: `/proc/${process.pid}/ns/net`}, 'dev')).toEqual(
      readProcNet({kind: 'current'}, 'dev'),
    )
  })
})
