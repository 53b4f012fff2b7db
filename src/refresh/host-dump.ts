// What the SSH lockout guard reads of the namespace that plays the host, for one address
// family: every table of both iptables backends (a packet crosses the rules of both),
// the interfaces and the main routing table, and the forwarding switch. Refresh reads
// only dockwall's tables of one backend; the guard needs the whole input path (raw and
// nat PREROUTING, INPUT, OUTPUT, POSTROUTING and every foreign rule in them), so it
// reads once more, only when there is a session to protect and the plan could touch it.
import type {Backend, Family} from '../model/types.js'
import {iptablesProgram} from '../netfilter/commands.js'
import {run, type NetnsTarget} from '../util/exec.js'

export interface HostFamilyDump {
  family: Family
  /** `iptables-{nft,legacy}-save` (or ip6tables) output, all tables; null when that save failed. */
  saves: Record<Backend, string | null>
  /** `ip -j -4 route` / `ip -j -6 route`. */
  routes: string
  /** /proc/sys/net/ipv4/ip_forward or net/ipv6/conf/all/forwarding ('' when unreadable). */
  forwarding: string
}

/** Saves already read (refresh reads the host's IPv4 rules of both backends): not read again. */
export interface HostSaves {
  family: Family
  saves: Record<Backend, string | null>
}

export interface HostDump {
  /** `ip -j addr`. */
  addr: string
  families: HostFamilyDump[]
}

async function save(file: string, target: NetnsTarget): Promise<string | null> {
  try {
    // stdout only: iptables-nft warns about legacy tables on stderr.
    return (await run(file, [], {netns: target})).stdout
  } catch {
    return null
  }
}

async function legacySave(family: Family, target: NetnsTarget): Promise<string | null> {
  // Without legacy tables there is nothing to read, and the save would load no module anyway
  // (src/refresh/namespace.ts); the probe keeps a missing legacy binary from counting as unreadable.
  const names = family === 'ipv6' ? '/proc/net/ip6_tables_names' : '/proc/net/ip_tables_names'
  const probe = await run('cat', [names], {netns: target, okExitCodes: [1]}).catch(() => undefined)
  if (probe && probe.exitCode === 0 && probe.stdout.trim() === '') return ''
  return save(iptablesProgram(family, 'legacy', 'save'), target)
}

async function readFamily(family: Family, target: NetnsTarget, known: HostSaves | undefined): Promise<HostFamilyDump> {
  const v = family === 'ipv6' ? '6' : '4'
  const saved = known?.family === family ? known.saves : undefined
  const [nft, legacy, routes, forwarding] = await Promise.all([
    saved ? saved.nft : save(iptablesProgram(family, 'nft', 'save'), target),
    saved ? saved.legacy : legacySave(family, target),
    run('ip', ['-j', `-${v}`, 'route'], {netns: target}).then((r) => r.stdout),
    run('cat', [family === 'ipv6' ? '/proc/sys/net/ipv6/conf/all/forwarding' : '/proc/sys/net/ipv4/ip_forward'], {
      netns: target,
      okExitCodes: [1],
    }).then((r) => r.stdout),
  ])
  return {family, saves: {nft, legacy}, routes, forwarding}
}

/** Reads the host namespace for the guard: a few processes, run at once; `known` saves are not read again. */
export async function readHostDump(
  target: NetnsTarget,
  families: readonly Family[],
  known?: HostSaves,
): Promise<HostDump> {
  const [addr, ...dumps] = await Promise.all([
    run('ip', ['-j', 'addr'], {netns: target}).then((r) => r.stdout),
    ...families.map((f) => readFamily(f, target, known)),
  ])
  return {addr, families: dumps}
}
