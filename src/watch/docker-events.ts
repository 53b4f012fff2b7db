// The Docker event stream (GET /events, through dockerode's getEvents): the events
// that can change what dockwall must write, reconnected with backoff when the daemon
// goes away. The stream is newline-delimited JSON (Docker's json.Encoder), possibly
// split or merged across chunks.
import type Dockerode from 'dockerode'

import type {DockerConnection} from '../docker/client.js'
import {Backoff, type BackoffOptions} from './backoff.js'
import type {Clock, TimerHandle} from './clock.js'

/** Actions that matter, by event type: a container's namespace is new or gone; addresses or networks changed. */
export const RELEVANT_ACTIONS = {
  container: ['start', 'restart', 'die'],
  network: ['connect', 'disconnect', 'create', 'destroy'],
} as const

export interface DockerEvent {
  type: 'container' | 'network'
  action: string
  /** Container or network id. */
  id: string
  /** Container name (container events) or network name (network events). */
  name?: string
  /** For network connect/disconnect: the container's id. */
  container?: string
  /** Unix nanoseconds, when Docker says. */
  timeNano?: number
}

interface WireEvent {
  Type?: string
  Action?: string
  status?: string
  id?: string
  Actor?: {ID?: string; Attributes?: Record<string, string>}
  timeNano?: number
}

/** A relevant event from one decoded JSON object, or null. */
export function parseEvent(raw: unknown): DockerEvent | null {
  if (typeof raw !== 'object' || raw === null) return null
  const w = raw as WireEvent
  const type = w.Type
  // Docker < 1.22 sent only `status`; every engine dockwall supports sends Action.
  const action = (w.Action ?? w.status ?? '').split(':')[0] ?? ''
  if (type !== 'container' && type !== 'network') return null
  if (!(RELEVANT_ACTIONS[type] as readonly string[]).includes(action)) return null
  const attrs = w.Actor?.Attributes ?? {}
  const e: DockerEvent = {type, action, id: w.Actor?.ID ?? w.id ?? ''}
  if (attrs.name) e.name = attrs.name
  if (type === 'network' && attrs.container) e.container = attrs.container
  if (typeof w.timeNano === 'number') e.timeNano = w.timeNano
  return e
}

/** `container start web`, `network connect front`. */
export function describeEvent(e: DockerEvent): string {
  return `${e.type} ${e.action} ${e.name ?? e.id.slice(0, 12)}`
}

/** Splits newline-delimited JSON arriving in arbitrary chunks; skips lines that are not JSON. */
export class JsonLines {
  private buffer = ''

  push(chunk: string | Buffer): unknown[] {
    this.buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8')
    const out: unknown[] = []
    let nl = this.buffer.indexOf('\n')
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl).trim()
      this.buffer = this.buffer.slice(nl + 1)
      if (line !== '') {
        try {
          out.push(JSON.parse(line))
        } catch {
          // Not an event (a proxy's error page?): ignore the line.
        }
      }
      nl = this.buffer.indexOf('\n')
    }
    // One event without a trailing newline yet: keep waiting, but never grow without bound.
    if (this.buffer.length > 1_000_000) this.buffer = ''
    return out
  }
}

export type StreamStatus =
  | {state: 'connected'; reconnect: boolean; downMs?: number}
  | {state: 'disconnected'; error: string; attempt: number; retryInMs: number}

export interface EventStreamOptions {
  /** Opens the stream; rejects when the daemon cannot be reached. */
  subscribe: (signal: AbortSignal) => Promise<NodeJS.ReadableStream>
  clock: Clock
  backoff?: BackoffOptions
  onEvent: (event: DockerEvent) => void
  onStatus: (status: StreamStatus) => void
}

export const DEFAULT_RECONNECT: BackoffOptions = {initialMs: 250, maxMs: 5000}

export class DockerEventStream {
  private readonly backoff: Backoff
  private stopped = false
  private everConnected = false
  private downSince: number | null = null
  private abort: AbortController | null = null
  private stream: NodeJS.ReadableStream | null = null
  private timer: TimerHandle | undefined
  private firstAttempt: Promise<void> | null = null

  constructor(private readonly opts: EventStreamOptions) {
    this.backoff = new Backoff(opts.backoff ?? DEFAULT_RECONNECT)
  }

  /** Starts connecting; resolves after the first attempt (connected or failed, then retrying). */
  start(): Promise<void> {
    this.firstAttempt ??= this.connect()
    return this.firstAttempt
  }

  get connected(): boolean {
    return this.stream !== null
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.abort?.abort()
    const s = this.stream as (NodeJS.ReadableStream & {destroy?: () => void}) | null
    s?.destroy?.()
    this.stream = null
  }

  private async connect(): Promise<void> {
    if (this.stopped) return
    const abort = new AbortController()
    this.abort = abort
    let stream: NodeJS.ReadableStream
    try {
      stream = await this.opts.subscribe(abort.signal)
    } catch (err) {
      this.fail(err)
      return
    }
    if (this.stopped) {
      ;(stream as NodeJS.ReadableStream & {destroy?: () => void}).destroy?.()
      return
    }
    const reconnect = this.everConnected || this.downSince !== null
    const downMs = this.downSince === null ? undefined : this.opts.clock.now() - this.downSince
    this.everConnected = true
    this.downSince = null
    this.backoff.reset()
    this.stream = stream
    const lines = new JsonLines()
    let ended = false
    const end = (err?: unknown): void => {
      if (ended) return
      ended = true
      if (this.stream === stream) this.stream = null
      this.fail(err ?? new Error('the event stream ended (daemon stopped?)'))
    }
    stream.on('data', (chunk: string | Buffer) => {
      for (const raw of lines.push(chunk)) {
        const e = parseEvent(raw)
        if (e) this.opts.onEvent(e)
      }
    })
    stream.on('end', () => end())
    stream.on('close', () => end())
    stream.on('error', (err: unknown) => end(err))
    this.opts.onStatus(downMs === undefined ? {state: 'connected', reconnect} : {state: 'connected', reconnect, downMs})
  }

  private fail(err: unknown): void {
    if (this.stopped) return
    this.downSince ??= this.opts.clock.now()
    const retryInMs = this.backoff.next()
    const e = err as {code?: string; message?: string} | undefined
    const error = e?.code ?? e?.message ?? String(err)
    this.opts.onStatus({state: 'disconnected', error, attempt: this.backoff.attempts, retryInMs})
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined
      void this.connect()
    }, retryInMs)
  }
}

/** The real subscription: GET /events filtered to the types and actions that matter. */
export function dockerSubscribe(conn: DockerConnection): (signal: AbortSignal) => Promise<NodeJS.ReadableStream> {
  const filters = {
    type: ['container', 'network'] as Array<'container' | 'network'>,
    event: [...RELEVANT_ACTIONS.container, ...RELEVANT_ACTIONS.network],
  }
  return (signal) => conn.client.getEvents({filters, abortSignal: signal} as Dockerode.GetEventsOptions)
}
