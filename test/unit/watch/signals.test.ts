// Signal handling with an EventEmitter standing in for `process`.
import {EventEmitter} from 'node:events'

import {describe, expect, it} from 'vitest'

import {handleSignals} from '../../../src/watch/signals.js'

function setup() {
  const source = new EventEmitter()
  const calls: string[] = []
  const unhook = handleSignals(source, {
    reconcile: (s) => void calls.push(`reconcile ${s}`),
    stop: (s) => void calls.push(`stop ${s}`),
    force: (s) => void calls.push(`force ${s}`),
  })
  return {source, calls, unhook}
}

describe('handleSignals', () => {
  it('turns SIGHUP into a reconciliation, every time', () => {
    const {source, calls} = setup()
    source.emit('SIGHUP', 'SIGHUP')
    source.emit('SIGHUP', 'SIGHUP')
    expect(calls).toEqual(['reconcile SIGHUP', 'reconcile SIGHUP'])
  })

  it('stops on the first SIGTERM or SIGINT and forces on the second', () => {
    const {source, calls} = setup()
    source.emit('SIGTERM', 'SIGTERM')
    // While stopping, SIGHUP no longer starts anything
    source.emit('SIGHUP', 'SIGHUP')
    source.emit('SIGINT', 'SIGINT')
    expect(calls).toEqual(['stop SIGTERM', 'force SIGINT'])
  })

  it('removes its listeners (the process default behaviour comes back)', () => {
    const {source, unhook} = setup()
    expect(['SIGHUP', 'SIGTERM', 'SIGINT'].map((s) => source.listenerCount(s))).toEqual([1, 1, 1])
    unhook()
    expect(['SIGHUP', 'SIGTERM', 'SIGINT'].map((s) => source.listenerCount(s))).toEqual([0, 0, 0])
  })
})
