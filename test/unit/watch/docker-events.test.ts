// The Docker event stream: decoding, the events that matter, and reconnecting with
// backoff when the daemon goes away (a PassThrough stands in for GET /events).
import {PassThrough} from 'node:stream'

import {describe, expect, it} from 'vitest'

import {
  DockerEventStream,
  JsonLines,
  describeEvent,
  parseEvent,
  type DockerEvent,
  type StreamStatus,
} from '../../../src/watch/docker-events.js'
import {FakeClock, flush} from './fake-clock.js'

const start = {
  Type: 'container',
  Action: 'start',
  Actor: {ID: 'c0ffee1234567890', Attributes: {name: 'web', image: 'busybox'}},
  time: 1,
  timeNano: 1_000_000_001,
}
const connect = {
  Type: 'network',
  Action: 'connect',
  Actor: {ID: 'net123', Attributes: {container: 'c0ffee1234567890', name: 'front', type: 'bridge'}},
}

describe('decoding Docker events', () => {
  it('splits newline-delimited JSON however the chunks fall', () => {
    const lines = new JsonLines()
    const text = `${JSON.stringify(start)}\n${JSON.stringify(connect)}\n`
    const got: unknown[] = []
    for (let i = 0; i < text.length; i += 7) got.push(...lines.push(text.slice(i, i + 7)))
    expect(got).toEqual([start, connect])
    expect(lines.push('not json\n{"Type":"x"}\n')).toEqual([{Type: 'x'}])
  })

  it('keeps container start/restart/die and network connect/disconnect/create/destroy only', () => {
    expect(parseEvent(start)).toEqual({
      type: 'container',
      action: 'start',
      id: 'c0ffee1234567890',
      name: 'web',
      timeNano: 1_000_000_001,
    })
    expect(parseEvent(connect)).toEqual({
      type: 'network',
      action: 'connect',
      id: 'net123',
      name: 'front',
      container: 'c0ffee1234567890',
    })
    for (const action of ['restart', 'die']) expect(parseEvent({...start, Action: action})?.action).toBe(action)
    for (const action of ['disconnect', 'create', 'destroy'])
      expect(parseEvent({...connect, Action: action})?.action).toBe(action)
    for (const action of [
      'create',
      'destroy',
      'exec_start: sh -c x',
      'health_status: healthy',
      'kill',
      'stop',
      'attach',
    ]) {
      expect(parseEvent({...start, Action: action})).toBeNull()
    }
    expect(parseEvent({Type: 'image', Action: 'pull'})).toBeNull()
    expect(parseEvent('nonsense')).toBeNull()
  })

  it('describes an event in a few words', () => {
    expect(describeEvent(parseEvent(start)!)).toBe('container start web')
    expect(describeEvent(parseEvent(connect)!)).toBe('network connect front')
    expect(describeEvent({type: 'container', action: 'die', id: 'abcdef0123456789abcdef'})).toBe(
      'container die abcdef012345',
    )
  })
})

/** A stream whose daemon refuses the next `daemon.refuse` connections. */
function setup(refuse = 0) {
  const clock = new FakeClock()
  const events: DockerEvent[] = []
  const statuses: StreamStatus[] = []
  const streams: PassThrough[] = []
  const daemon = {refuse, code: 'ECONNREFUSED'}
  let attempts = 0
  const stream = new DockerEventStream({
    clock,
    backoff: {initialMs: 250, maxMs: 2000},
    subscribe: async () => {
      attempts++
      if (daemon.refuse > 0) {
        daemon.refuse--
        throw Object.assign(new Error(`connect ${daemon.code}`), {code: daemon.code})
      }
      const s = new PassThrough()
      streams.push(s)
      return s
    },
    onEvent: (e) => void events.push(e),
    onStatus: (s) => void statuses.push(s),
  })
  return {clock, stream, events, statuses, streams, daemon, attempts: () => attempts}
}

describe('DockerEventStream', () => {
  it('delivers the events that matter and drops the rest', async () => {
    const h = setup()
    await h.stream.start()
    expect(h.statuses).toEqual([{state: 'connected', reconnect: false}])
    h.streams[0]!.write(
      `${JSON.stringify(start)}\n${JSON.stringify({...start, Action: 'kill'})}\n${JSON.stringify(connect).slice(0, 20)}`,
    )
    h.streams[0]!.write(`${JSON.stringify(connect).slice(20)}\n`)
    await flush()
    expect(h.events.map(describeEvent)).toEqual(['container start web', 'network connect front'])
    h.stream.stop()
  })

  it('reconnects with backoff when the daemon goes away, and says it is a reconnect', async () => {
    // Given a connected stream
    const h = setup()
    await h.stream.start()
    // When the daemon stops (the stream ends) and refuses connections for a while
    h.daemon.refuse = 3
    h.daemon.code = 'ENOENT'
    h.streams[0]!.end()
    await flush()
    // Then it retries after 250, 500, 1000 and 2000 ms
    expect(h.statuses.slice(1)).toEqual([
      {state: 'disconnected', error: 'the event stream ended (daemon stopped?)', attempt: 1, retryInMs: 250},
    ])
    await h.clock.advance(250 + 500 + 1000)
    expect(h.statuses.slice(2).map((s) => (s.state === 'disconnected' ? s.retryInMs : -1))).toEqual([500, 1000, 2000])
    expect(h.stream.connected).toBe(false)
    await h.clock.advance(2000)
    // And the connection that works is reported as a reconnect, with how long the stream was down
    expect(h.statuses.at(-1)).toEqual({state: 'connected', reconnect: true, downMs: 3750})
    expect(h.stream.connected).toBe(true)
    // And the backoff starts over for the next outage
    h.streams[1]!.destroy(new Error('socket hang up'))
    await flush()
    expect(h.statuses.at(-1)).toEqual({state: 'disconnected', error: 'socket hang up', attempt: 1, retryInMs: 250})
    h.stream.stop()
    await h.clock.advance(10_000)
    expect(h.clock.pending).toBe(0)
  })

  it('counts a first connection after failures at start as a reconnect (the daemon came up later)', async () => {
    const h = setup(2)
    await h.stream.start()
    expect(h.statuses).toEqual([{state: 'disconnected', error: 'ECONNREFUSED', attempt: 1, retryInMs: 250}])
    await h.clock.advance(250 + 500)
    expect(h.statuses.at(-1)).toEqual({state: 'connected', reconnect: true, downMs: 750})
    expect(h.attempts()).toBe(3)
    h.stream.stop()
  })

  it('stops cleanly: no reconnect, no timer, the stream destroyed', async () => {
    const h = setup()
    await h.stream.start()
    h.stream.stop()
    await flush()
    expect(h.streams[0]!.destroyed).toBe(true)
    expect(h.statuses).toEqual([{state: 'connected', reconnect: false}])
    expect(h.clock.pending).toBe(0)
  })
})
