// Rules import leaves alone because someone else owns them: dockwall's own (its chains,
// jumps to them, lines tagged `dockwall:`), and Docker's (its chains, jumps to them,
// and the lines it writes into FORWARD and nat POSTROUTING for each bridge). Docker
// recreates its rules on every daemon start, so importing them would only make dockwall
// fight the daemon.
import type {DockerSnapshot} from '../docker/types.js'
import {isDirectAccessDrop} from '../docker/layout.js'
import {writeRuleArgs, type Match, type Rule} from '../netfilter/index.js'

export interface DockerHints {
  /** Interface names of Docker's bridges: docker0, br-<id>, and names set by com.docker.network.bridge.name. */
  bridges: ReadonlySet<string>
  /** Host interfaces a network trusts (com.docker.network.bridge.trusted_host_interfaces, Docker 28.2+). */
  trustedInterfaces: ReadonlySet<string>
  /** IPv4 subnets of Docker's networks, normalised (a.b.c.d/len). */
  subnets: ReadonlySet<string>
}

export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name'

/** The bridge interface Docker gives a network: its name option, docker0 for `bridge`, else br- and 12 hex digits of the id. */
export function bridgeOf(net: {id: string; name: string; options: Record<string, string>}): string {
  return net.options[BRIDGE_NAME_OPTION] ?? (net.name === 'bridge' ? 'docker0' : `br-${net.id.slice(0, 12)}`)
}

const TRUSTED_OPTION = 'com.docker.network.bridge.trusted_host_interfaces'

export function dockerHints(snapshot?: DockerSnapshot): DockerHints {
  const bridges = new Set<string>(['docker0'])
  const subnets = new Set<string>()
  const trustedInterfaces = new Set<string>()
  for (const n of snapshot?.networks ?? []) {
    if (n.driver === 'bridge') bridges.add(bridgeOf(n))
    for (const s of n.subnets) if (!s.subnet.includes(':')) subnets.add(s.subnet)
    // Colon-separated, as Docker splits it.
    for (const i of (n.options[TRUSTED_OPTION] ?? '').split(':')) if (i) trustedInterfaces.add(i)
  }
  return {bridges, subnets, trustedInterfaces}
}

// DOCKER-USER is Docker's gift to the operator: its rules are the operator's, not Docker's.
const DOCKER_CHAIN = /^DOCKER(?:[-_]|$)(?!USER$)/
const DOCKWALL_CHAIN = /^DOCKWALL-/
// Docker's default names when the snapshot does not say: br- plus 12 hex digits, and the swarm bridge.
const DEFAULT_BRIDGE = /^(?:docker0|docker_gwbridge|br-[0-9a-f]{12})$/

export type Owner = {owner: 'dockwall' | 'docker'; reason: string}

function isBridge(name: string | null, hints: DockerHints): boolean {
  return name !== null && (hints.bridges.has(name) || DEFAULT_BRIDGE.test(name))
}

function headers(rule: Pick<Rule, 'matches'>): Array<Extract<Match, {kind: 'header'}>> {
  return rule.matches.filter((m): m is Extract<Match, {kind: 'header'}> => m.kind === 'header')
}

function modules(rule: Pick<Rule, 'matches'>): Array<Extract<Match, {kind: 'module'}>> {
  return rule.matches.filter((m): m is Extract<Match, {kind: 'module'}> => m.kind === 'module')
}

/** `-m conntrack --ctstate RELATED,ESTABLISHED` and nothing else, as Docker writes it per bridge. */
function onlyEstablishedMatch(rule: Pick<Rule, 'matches'>): boolean {
  return modules(rule).every(
    (m) =>
      m.name === 'conntrack' &&
      m.options.length === 1 &&
      m.options[0]!.name === 'ctstate' &&
      !m.options[0]!.negated &&
      m.options[0]!.values[0] === 'RELATED,ESTABLISHED',
  )
}

/**
 * The bridge of one of the lines Docker writes into FORWARD for each bridge B, exactly:
 * `-o B -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, `-i B ! -o B -j ACCEPT`,
 * `-i B -o B -j ACCEPT` and (icc=false) `-i B -o B -j DROP`.
 */
function dockerBridgeRule(
  hs: ReturnType<typeof headers>,
  rule: Pick<Rule, 'matches'>,
  target: string,
  hints: DockerHints,
): string | undefined {
  const i = hs.find((h) => h.option === 'i')
  const o = hs.find((h) => h.option === 'o')
  const b = (i ?? o)?.value ?? null
  if (!isBridge(b, hints) || hs.some((h) => (h.option !== 'i' && h.option !== 'o') || h.value !== b)) return undefined
  const mods = modules(rule)
  if (!i && o && !o.negated && mods.length === 1 && onlyEstablishedMatch(rule) && target === 'ACCEPT') return b!
  if (mods.length > 0 || !i || !o || i.negated) return undefined
  if (o.negated) return target === 'ACCEPT' ? b! : undefined
  return b!
}

/** Who owns this rule, when it is not the operator's; undefined for the operator's own rules. */
export function ownerOf(
  rule: Pick<Rule, 'table' | 'chain' | 'matches' | 'target' | 'comment'>,
  hints: DockerHints,
): Owner | undefined {
  const target = rule.target?.name
  if (DOCKWALL_CHAIN.test(rule.chain)) return {owner: 'dockwall', reason: `in dockwall's chain ${rule.chain}`}
  if (target !== undefined && DOCKWALL_CHAIN.test(target))
    return {owner: 'dockwall', reason: `dockwall's jump to ${target}`}
  if (rule.comment?.startsWith('dockwall:')) return {owner: 'dockwall', reason: `tagged ${rule.comment}`}
  if (DOCKER_CHAIN.test(rule.chain)) return {owner: 'docker', reason: `in Docker's chain ${rule.chain}`}
  if (target !== undefined && DOCKER_CHAIN.test(target))
    return {owner: 'docker', reason: `a jump to Docker's chain ${target}`}
  if (target === 'DOCKER-USER' && rule.table === 'filter' && rule.chain === 'FORWARD')
    return {owner: 'docker', reason: "Docker's jump to DOCKER-USER"}
  const hs = headers(rule)
  if (rule.table === 'raw' && rule.chain === 'PREROUTING') {
    if (isDirectAccessDrop(writeRuleArgs(rule)))
      return {owner: 'docker', reason: "Docker's drop of direct access to a container (Docker 28+)"}
    // -d CONTAINER/32 -i IF -j ACCEPT before that drop, for an interface the network trusts.
    const i = hs.find((h) => h.option === 'i' && !h.negated)
    const d = hs.find((h) => h.option === 'd' && !h.negated)
    if (
      target === 'ACCEPT' &&
      hs.length === 2 &&
      i &&
      d &&
      modules(rule).length === 0 &&
      hints.trustedInterfaces.has(i.value!)
    )
      return {owner: 'docker', reason: `Docker's accept for the trusted interface ${i.value}`}
  }
  if (rule.table === 'filter' && rule.chain === 'FORWARD' && (target === 'ACCEPT' || target === 'DROP')) {
    const bridge = dockerBridgeRule(hs, rule, target, hints)
    if (bridge) return {owner: 'docker', reason: `Docker's ${target} for bridge ${bridge}`}
  }
  if (rule.table === 'nat' && rule.chain === 'POSTROUTING' && (target === 'MASQUERADE' || target === 'SNAT')) {
    // -s SUBNET ! -o BRIDGE -j MASQUERADE (or SNAT with Docker 28's host IP option).
    const src = hs.find((h) => h.option === 's' && !h.negated)
    const out = hs.find((h) => h.option === 'o' && h.negated)
    if (hs.length === 2 && src && out && isBridge(out.value, hints) && modules(rule).length === 0) {
      return {owner: 'docker', reason: `Docker's ${target} for bridge ${out.value}`}
    }
    // -o BRIDGE -m addrtype --src-type LOCAL -j MASQUERADE: the host's own traffic to a bridge (userland-proxy=false).
    const onto = hs.find((h) => h.option === 'o' && !h.negated)
    const mods = modules(rule)
    if (
      target === 'MASQUERADE' &&
      hs.length === 1 &&
      onto &&
      isBridge(onto.value, hints) &&
      mods.length === 1 &&
      mods[0]!.name === 'addrtype' &&
      mods[0]!.options.length === 1 &&
      mods[0]!.options[0]!.name === 'src-type' &&
      !mods[0]!.options[0]!.negated &&
      mods[0]!.options[0]!.values[0] === 'LOCAL'
    )
      return {owner: 'docker', reason: `Docker's MASQUERADE of the host's own traffic to bridge ${onto.value}`}
    // -s IP/32 -d IP/32 -p tcp -m tcp --dport N -j MASQUERADE: hairpin of a published port.
    const dst = hs.find((h) => h.option === 'd' && !h.negated)
    if (
      target === 'MASQUERADE' &&
      src &&
      dst &&
      src.value === dst.value &&
      (src.value?.endsWith('/32') || src.value?.endsWith('/128')) &&
      hs.every((h) => !h.negated)
    ) {
      return {owner: 'docker', reason: `Docker's hairpin MASQUERADE for ${src.value}`}
    }
  }
  if (rule.table === 'filter' && rule.chain === 'DOCKER-USER' && target === 'RETURN' && rule.matches.length === 0) {
    return {owner: 'docker', reason: "Docker's closing RETURN in DOCKER-USER (Docker up to 28.2)"}
  }
  return undefined
}
