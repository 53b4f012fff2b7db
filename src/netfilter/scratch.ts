// Scratch network namespaces for tests and benchmarks: `ip netns add`, entered with
// `nsenter --net=/var/run/netns/NAME` (not `ip netns exec`, which remounts /sys).
// Everything created here is removed by remove(); names start with `dwtest-` so a
// crashed run's leftovers are easy to find (`ip netns list`).
import {randomBytes} from 'node:crypto'

import {type NetnsTarget, run} from '../util/exec.js'
import {iptablesProgram} from './commands.js'

export interface ScratchNetns {
  name: string
  path: string
  target: NetnsTarget
  remove(): Promise<void>
}

export async function createScratchNetns(label = 'x'): Promise<ScratchNetns> {
  if (!/^[a-z0-9-]{1,20}$/.test(label)) throw new Error(`bad scratch namespace label ${label}`)
  const name = `dwtest-${label}-${process.pid}-${randomBytes(3).toString('hex')}`
  await run('ip', ['netns', 'add', name])
  const path = `/var/run/netns/${name}`
  const target: NetnsTarget = {kind: 'path', path}
  try {
    await run('ip', ['link', 'set', 'lo', 'up'], {netns: target})
  } catch (error) {
    await run('ip', ['netns', 'del', name], {okExitCodes: [1]})
    throw error
  }
  let removed = false
  return {
    name,
    path,
    target,
    async remove() {
      if (removed) return
      removed = true
      await run('ip', ['netns', 'del', name], {okExitCodes: [1]})
    },
  }
}

/** Creates a namespace, runs fn, and removes the namespace even when fn throws. */
export async function withScratchNetns<T>(label: string, fn: (ns: ScratchNetns) => Promise<T>): Promise<T> {
  const ns = await createScratchNetns(label)
  try {
    return await fn(ns)
  } finally {
    await ns.remove()
  }
}

/**
 * A read-only picture of the current namespace's rules (both backends, both
 * families, the legacy table lists and the nft ruleset), comment lines left out;
 * tests compare it before and after to prove they never touched the host.
 */
export async function snapshotRules(netns?: NetnsTarget): Promise<string> {
  const parts: string[] = []
  const strip = (s: string): string =>
    s
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n')
  for (const file of ['/proc/net/ip_tables_names', '/proc/net/ip6_tables_names']) {
    const r = await run('cat', [file], {netns, okExitCodes: [1]})
    parts.push(`${file}:\n${r.stdout}`)
  }
  for (const family of ['ipv4', 'ipv6'] as const) {
    // the legacy save only lists tables that exist: reading creates nothing
    for (const b of ['nft', 'legacy'] as const) {
      const save = iptablesProgram(family, b, 'save')
      parts.push(`${save}:\n${strip((await run(save, [], {netns})).stdout)}`)
    }
  }
  parts.push(`nft list ruleset:\n${(await run('nft', ['list', 'ruleset'], {netns})).stdout}`)
  return parts.join('\n')
}
