// Who wrote a rule: dockwall (its comment names the resource), Docker (its chains, and
// the lines it puts in built-in chains), or someone else ("foreign", with its place).
import type {HeaderMatch, Rule} from '../netfilter/types.js'
import type {Owner} from './types.js'

const DOCKWALL_PREFIX = 'dockwall:'

/** Docker's own chains: DOCKER, DOCKER-ISOLATION-STAGE-1, DOCKER-FORWARD, DOCKER_OUTPUT (embedded DNS)... DOCKER-USER is the user's. */
export function isDockerChain(chain: string): boolean {
  return chain !== 'DOCKER-USER' && /^DOCKER(?:[-_]|$)/.test(chain)
}

/** Bridge names Docker gives its networks, for when the caller did not list them. */
const DOCKER_BRIDGE = /^(?:docker0|br-[0-9a-f]{12}|docker_gwbridge)$/

const BUILTIN = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'])

export function ownerOf(rule: Rule, position: number, dockerBridges: ReadonlySet<string>): Owner {
  if (rule.comment?.startsWith(DOCKWALL_PREFIX))
    return {kind: 'dockwall', address: rule.comment.slice(DOCKWALL_PREFIX.length)}
  const chain = rule.chain
  if (isDockerChain(chain)) return {kind: 'docker'}
  const target = rule.target?.name
  // Docker up to 28.2 ends DOCKER-USER with a bare RETURN of its own.
  if (chain === 'DOCKER-USER' && target === 'RETURN' && rule.matches.length === 0) return {kind: 'docker'}
  if (BUILTIN.has(chain)) {
    if (target !== undefined && (isDockerChain(target) || target === 'DOCKER-USER')) return {kind: 'docker'}
    const ifaces = rule.matches.filter(
      (m): m is HeaderMatch => m.kind === 'header' && (m.option === 'i' || m.option === 'o'),
    )
    if (ifaces.some((m) => m.value !== null && (dockerBridges.has(m.value) || DOCKER_BRIDGE.test(m.value))))
      return {kind: 'docker'}
    // Docker's hairpin masquerade of a published port: `-s C/32 -d C/32 -p tcp --dport P -j MASQUERADE`.
    if (target === 'MASQUERADE') {
      const s = rule.matches.find((m) => m.kind === 'header' && m.option === 's') as HeaderMatch | undefined
      const d = rule.matches.find((m) => m.kind === 'header' && m.option === 'd') as HeaderMatch | undefined
      if (s && d && !s.negated && !d.negated && s.value === d.value) return {kind: 'docker'}
    }
  }
  return {kind: 'foreign', chain, position}
}
