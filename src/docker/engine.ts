// What dockwall knows about Docker engine versions: which firewall layout an engine
// writes, and whether dockwall can work beside it. Pure functions of EngineInfo (from
// /_ping's headers or `docker version`, and `docker info`), so the planner and the
// commands decide alike.
//
// Layouts (moby release notes and sources; DESIGN.md section 6):
//   20.10-27  FORWARD → DOCKER-USER (ends with -j RETURN), isolation chains in FORWARD.
//   28.0      raw PREROUTING drops direct access to published ports of containers.
//   28.0.1    Docker's filter rules move into DOCKER-FORWARD.
//   28.0.2+   the raw drop covers every endpoint of a nat-mode network.
//   28.2.2    DOCKER-USER is created without its trailing RETURN.
//   29.0      isolation chains gone, DOCKER-INTERNAL added; optional nftables firewall backend.
import type {Diagnostic} from '../errors.js'
import type {EngineInfo} from './types.js'

export interface EngineVersion {
  major: number
  minor: number
  patch: number
}

/** `28.5.2+dfsg4`, `29.0.0-rc.1`, `20.10.24` → numbers; undefined when it is not a version. */
export function parseEngineVersion(version: string): EngineVersion | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim())
  if (!m) return undefined
  return {major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0)}
}

/**
 * Whether the engine drops, in raw PREROUTING, packets addressed to a container that do
 * not arrive on its own bridge (Docker 28.0 and later, with its iptables firewall
 * backend). Such engines need dockwall's raw openings for every flow it accepts towards a
 * container from elsewhere. An engine whose version cannot be read is judged by the raw
 * table alone (see src/plan).
 */
export function engineHasRawDrops(engine: EngineInfo): boolean {
  const v = parseEngineVersion(engine.version)
  return v !== undefined && v.major >= 28 && !usesNftablesFirewall(engine)
}

/** Docker 29's experimental firewall backend: `"firewall-backend": "nftables"` in daemon.json. */
export function usesNftablesFirewall(engine: EngineInfo): boolean {
  return (engine.firewallBackend ?? '').toLowerCase().startsWith('nftables')
}

/**
 * Why dockwall cannot plan against this engine, or undefined when it can. With the
 * nftables firewall backend Docker writes tables `ip docker-bridges` / `ip6
 * docker-bridges` and no DOCKER-USER chain, and an nft accept elsewhere does not override
 * its drops: iptables rules dockwall would write there are not what decides the traffic.
 */
export function unsupportedEngine(engine: EngineInfo): Diagnostic | undefined {
  if (!usesNftablesFirewall(engine)) return undefined
  return {
    severity: 'error',
    summary: `Docker Engine ${engine.version || '(version unknown)'} uses its nftables firewall backend (FirewallBackend: ${engine.firewallBackend}); dockwall supports Docker's iptables backend only`,
    detail:
      'With "firewall-backend": "nftables" Docker writes the nftables tables ip/ip6 docker-bridges and no DOCKER-USER chain, ' +
      'so rules dockwall writes with iptables would not decide the traffic. Run dockerd with its default iptables backend ' +
      '(remove "firewall-backend" from /etc/docker/daemon.json, or set it to "iptables", and restart Docker), ' +
      'then plan again. Nothing was changed.',
  }
}
