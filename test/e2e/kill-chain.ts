// The pieces of the SIGKILL case of faults.test.ts (issue 15): two configurations of 2,000
// iptables lines that differ in every table dockwall writes, dockwall's lines of an
// iptables-save per table, kill points drawn from a seed, the apply's JSON events followed
// as they arrive, and the traces a killed apply may leave (an iptables-restore still
// reading its input, temp files beside the state).
import {readdirSync, readFileSync, readlinkSync, statSync} from 'node:fs'
import {basename} from 'node:path'

import type {ResultPromise} from 'execa'

import {prng} from '../capture/random-host.js'

export type Variant = 'A' | 'B'

/** Filter rule blocks of 20 sources × 10 destinations: 10 of them write 2,000 lines. */
const BLOCKS = 10
const SOURCES = 20
const DESTINATIONS = 10
export const FILTER_LINES = BLOCKS * SOURCES * DESTINATIONS

/**
 * 2,000 lines in the IPv4 filter table, a port forward in each family's nat table and a
 * rule in the IPv6 filter table. A and B differ in every port, so that every line of every
 * table changes from one to the other: an apply between them rewrites all four tables.
 */
export function killConfig(variant: Variant): string {
  const [p1, p2, fwd] = variant === 'A' ? [80, 443, 7001] : [8080, 8443, 7002]
  const out: string[] = []
  for (let b = 0; b < BLOCKS; b++) {
    const from = Array.from({length: SOURCES}, (_, i) => `"10.${80 + b}.${i}.0/24"`)
    const to = Array.from({length: DESTINATIONS}, (_, j) => `"172.30.${b}.${j + 1}"`)
    out.push(
      `rule "kc_${b}" {\n  from     = [${from.join(', ')}]\n  to       = [${to.join(', ')}]\n  ports    = [${p1}, ${p2}]\n  priority = ${100 + b}\n}\n`,
    )
  }
  out.push(
    `rule "kc_v6" {\n  from  = "2001:db8:78::/64"\n  to    = "2001:db8:79::/64"\n  ports = [${p1}, ${p2}]\n}\n`,
    `port_forward "kc_v4" {\n  in_interface = "lo"\n  port         = ${fwd}\n  to           = "10.79.0.5"\n  to_port      = ${p1}\n}\n`,
    `port_forward "kc_v6" {\n  in_interface = "lo"\n  port         = ${fwd}\n  to           = "2001:db8:79::5"\n  to_port      = ${p1}\n}\n`,
  )
  return out.join('\n')
}

/**
 * dockwall's lines of one family's iptables-save, per table (`ipv4 filter`…): its chains
 * (counters zeroed), their rules and the jumps into them, in order. Tables without any are left out.
 */
export function ownedTables(save: string, family: 'ipv4' | 'ipv6'): Map<string, string> {
  const out = new Map<string, string[]>()
  let table = ''
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) table = `${family} ${line.slice(1).trim()}`
    const owned = line.startsWith(':DOCKWALL-') || line.startsWith('-A DOCKWALL-') || line.includes('dockwall:')
    if (!owned) continue
    const lines = out.get(table) ?? []
    lines.push(line.replace(/\[\d+:\d+\]$/, '[0:0]'))
    out.set(table, lines)
  }
  return new Map([...out].map(([t, lines]) => [t, lines.join('\n')]))
}

/** Which configuration a table's lines are exactly (`A`, `B`), or `neither: N lines` (half-written, or something else). */
export function tableLabel(lines: string | undefined, a: string | undefined, b: string | undefined): string {
  const text = lines ?? ''
  if (text === (a ?? '')) return 'A'
  if (text === (b ?? '')) return 'B'
  return `neither: ${text === '' ? 0 : text.split('\n').length} lines`
}

/**
 * Where a kill lands: after a random share of one part of an apply, timed from what the
 * apply prints (`--json` events): `start-up` from the start of the process to the first
 * iptables transaction (node, the lock, refresh, plan), `iptables` from `batch_start` to
 * `batch_done` (the restores, one per table, and the staging of the state), `state write`
 * from `batch_done` to the end of the process (the state's rename, the lock's release).
 */
export type Segment = 'start-up' | 'iptables' | 'state write'

export const SEGMENT_START: Record<Segment, string | undefined> = {
  'start-up': undefined,
  iptables: 'batch_start',
  'state write': 'batch_done',
}

export interface KillPoint {
  segment: Segment
  delayMs: number
}

/**
 * `count` kill points from `seed`: the segments in turn, each at a random share of its
 * length as measured on a complete apply (`lengthsMs`). Timings move under load, so a
 * point may land later than meant, or after the apply ended: the test reports where each landed.
 */
export function killPoints(seed: number, count: number, lengthsMs: Record<Segment, number>): KillPoint[] {
  const random = prng(seed)
  const order: Segment[] = ['start-up', 'iptables', 'state write']
  return Array.from({length: count}, (_, i) => {
    const segment = order[i % order.length]!
    return {segment, delayMs: Math.round(random() * lengthsMs[segment])}
  })
}

export interface FollowedApply {
  /** Milliseconds after the start at which each event type was first printed. */
  readonly at: Map<string, number>
  /** The last event type printed so far. */
  last(): string | undefined
  /** Resolves true once the apply printed an event of `type`, false if it ended before. */
  reached(type: string): Promise<boolean>
}

/** Follows the JSON events of `apply --json` as they arrive on `child`'s stdout (started at `t0`, performance.now()). */
export function followEvents(child: ResultPromise, t0: number): FollowedApply {
  const at = new Map<string, number>()
  const waiting = new Map<string, Array<(ok: boolean) => void>>()
  let lastType: string | undefined
  let rest = ''
  let ended = false
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) {
      let type: unknown
      try {
        type = (JSON.parse(line) as {type?: unknown}).type
      } catch {
        continue
      }
      if (typeof type !== 'string') continue
      lastType = type
      if (at.has(type)) continue
      at.set(type, Math.round(performance.now() - t0))
      for (const resolve of waiting.get(type) ?? []) resolve(true)
      waiting.delete(type)
    }
  })
  const end = (): void => {
    ended = true
    for (const list of waiting.values()) for (const resolve of list) resolve(false)
    waiting.clear()
  }
  child.then(end, end)
  return {
    at,
    last: () => lastType,
    reached: (type) =>
      new Promise((resolve) => {
        if (at.has(type)) resolve(true)
        else if (ended) resolve(false)
        else waiting.set(type, [...(waiting.get(type) ?? []), resolve])
      }),
  }
}

/**
 * Waits until no iptables-restore runs in the network namespace at `netnsPath`, and returns
 * how many it saw. A killed dockwall's restore is not killed with it: it goes on reading
 * its input and, if it had all of it, commits its table (atomically) a moment later.
 */
export async function restoresFinished(netnsPath: string, timeoutMs = 15_000): Promise<number> {
  const ns = `net:[${statSync(netnsPath).ino}]`
  const seen = new Set<number>()
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const running: number[] = []
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      try {
        if (readlinkSync(`/proc/${entry}/ns/net`) !== ns) continue
        const argv0 = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')[0] ?? ''
        if (/tables.*-restore$/.test(basename(argv0))) running.push(Number(entry))
      } catch {
        // Gone meanwhile.
      }
    }
    for (const pid of running) seen.add(pid)
    if (running.length === 0) return seen.size
    if (Date.now() > deadline)
      throw new Error(
        `iptables-restore still running in ${netnsPath} after ${timeoutMs} ms: pids ${running.join(', ')}`,
      )
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** What lies beside the state file `<dir>/<name>` but the state and its backup: temp, staged, conflict and lock files. */
export function stateLeftovers(dir: string, name: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${name}.`) && f !== `${name}.backup`)
    .sort()
}
