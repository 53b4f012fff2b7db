// Which iptables backend (nft or legacy) dockwall uses in a network namespace.
//
// Rules of the two backends live in separate kernel tables and are evaluated
// separately, so dockwall must write where the namespace's other rules are
// (iptables-wrappers' reasoning). In `auto`:
//   1. Docker's own chains decide where present: Docker's FORWARD rules and its
//      DOCKER-USER hook are in that backend, and our jump must sit in that DOCKER-USER.
//      If both backends have Docker chains (Docker switched backends and left stale
//      ones), the backend with more rule lines wins, legacy on a tie.
//   2. Otherwise the backend holding more rule lines (`-A ...`) wins, legacy on a tie
//      (Calico Felix's approach).
//   3. With no rules at all, whatever the system's `iptables` command is (what an
//      admin typing `iptables -L` will see); if that is unknown, nft: it is Debian's
//      default since Debian 10 (and upstream's), and a fresh nft table costs nothing
//      while touching legacy creates x_tables state the system may not use.
// The legacy side is only read when /proc/net/ip_tables_names lists tables in the
// namespace: running iptables-legacy-save -t TABLE would otherwise create the table
// (we saw it: an empty legacy nat table appears), and on kernels with modules it
// would load them.
import type {Backend, BackendSetting} from '../model/types.js'
import {type NetnsTarget, run as defaultRun, type RunOptions, type RunResult} from '../util/exec.js'
import {readProcNet} from '../util/netns.js'
import {iptablesProgram} from './commands.js'
import type {Family} from './types.js'
import {compareText} from '../util/text.js'

export interface BackendState {
  /** The backend's save command ran (false when it is not installed or failed). */
  available: boolean
  /** Rule lines (`-A ...`) in all its tables. */
  rules: number
  /** Docker's chains found (DOCKER, DOCKER-USER, DOCKER-FORWARD, ...), any table. */
  dockerChains: string[]
  /** Tables it has in this namespace. */
  tables: string[]
}

export interface BackendEvidence {
  nft: BackendState
  legacy: BackendState
  /** What the system's plain `iptables` command is, when known. */
  systemDefault?: Backend
}

export interface BackendChoice {
  backend: Backend
  /** For users: "legacy: Docker's chains (DOCKER-USER) are in iptables-legacy". */
  reason: string
  /** Set when an explicit setting goes against what the namespace holds. */
  warning?: string
}

export interface DetectOptions {
  setting: BackendSetting
  /** Gathers the evidence; called for `auto`, and for explicit settings to warn about a mismatch. */
  probe?: () => Promise<BackendEvidence>
}

const other = (b: Backend): Backend => (b === 'nft' ? 'legacy' : 'nft')
const tool = (b: Backend): string => `iptables-${b}`

function listChains(chains: string[]): string {
  const sorted = [...chains].sort((a, b) => (a === 'DOCKER-USER' ? -1 : b === 'DOCKER-USER' ? 1 : compareText(a, b)))
  return sorted.length > 3 ? `${sorted.slice(0, 3).join(', ')}, ...` : sorted.join(', ')
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

/** The decision for `auto`, from evidence alone (pure). */
export function decideBackend(e: BackendEvidence): BackendChoice {
  const {nft, legacy} = e
  if (!nft.available && legacy.available) return {backend: 'legacy', reason: 'legacy: iptables-nft is not available'}
  if (!legacy.available && nft.available && legacy.rules === 0)
    return {backend: 'nft', reason: 'nft: iptables-legacy is not available'}
  const dockerIn = (['nft', 'legacy'] as const).filter((b) => e[b].dockerChains.length > 0)
  if (dockerIn.length === 1) {
    const b = dockerIn[0]!
    return {backend: b, reason: `${b}: Docker's chains (${listChains(e[b].dockerChains)}) are in ${tool(b)}`}
  }
  if (dockerIn.length === 2) {
    const b: Backend = nft.rules > legacy.rules ? 'nft' : 'legacy'
    return {
      backend: b,
      reason:
        `${b}: Docker's chains are in both backends; ${tool(b)} holds more rules ` +
        `(${plural(e[b].rules, 'rule')} against ${e[other(b)].rules}${nft.rules === legacy.rules ? ', a tie goes to legacy' : ''})`,
    }
  }
  if (nft.rules > 0 || legacy.rules > 0) {
    const b: Backend = nft.rules > legacy.rules ? 'nft' : 'legacy'
    const tie = nft.rules === legacy.rules
    return {
      backend: b,
      reason:
        `${b}: no Docker chains; ${tool(b)} holds ${plural(e[b].rules, 'rule')} and ${tool(other(b))} ` +
        `${e[other(b)].rules}${tie ? ' (a tie goes to legacy)' : ''}`,
    }
  }
  if (e.systemDefault) {
    return {
      backend: e.systemDefault,
      reason: `${e.systemDefault}: no iptables rules in either backend; the system's iptables command is ${tool(e.systemDefault)}`,
    }
  }
  return {backend: 'nft', reason: "nft: no iptables rules in either backend; nft is Debian's default"}
}

/** Chooses the backend for a namespace: the setting when explicit, else decideBackend(probe()). */
export async function detectBackend(opts: DetectOptions): Promise<BackendChoice> {
  if (opts.setting !== 'auto') {
    const choice: BackendChoice = {
      backend: opts.setting,
      reason: `${opts.setting}: set in the configuration (backend = "${opts.setting}")`,
    }
    if (opts.probe) {
      const e = await opts.probe()
      const auto = decideBackend(e)
      const mine = e[opts.setting]
      const theirs = e[other(opts.setting)]
      if (auto.backend !== opts.setting && (theirs.dockerChains.length > 0 || theirs.rules > mine.rules)) {
        choice.warning =
          `backend = "${opts.setting}" is set, but ${auto.reason.replace(/^\w+: /, '')}; ` +
          'rules of the two backends are evaluated separately'
      }
    }
    return choice
  }
  if (!opts.probe) throw new Error('detectBackend: setting "auto" needs a probe')
  return decideBackend(await opts.probe())
}

// ------------------------------------------------------------------ the probe

export interface ProbeOptions {
  netns?: NetnsTarget
  family?: Family
  /** Replaces src/util/exec.ts's run (tests). */
  exec?: (file: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>
}

const RULE_LINE = /^(?:\[\d+:\d+\] )?-A /

/** Counts rule lines and finds Docker's chains in iptables-save output (no full parse: cheap on large rulesets). */
export function summarizeSave(text: string): Omit<BackendState, 'available'> {
  let rules = 0
  const docker = new Set<string>()
  const tables: string[] = []
  for (const line of text.split('\n')) {
    if (RULE_LINE.test(line)) rules++
    else if (line.startsWith(':')) {
      const name = line.slice(1).split(' ', 1)[0]!
      // DOCKER_OUTPUT / DOCKER_POSTROUTING: the embedded-DNS chains Docker writes inside containers on user networks.
      if (name === 'DOCKER' || name.startsWith('DOCKER-') || name.startsWith('DOCKER_')) docker.add(name)
    } else if (line.startsWith('*')) tables.push(line.slice(1).trim())
  }
  return {rules, dockerChains: [...docker].sort(), tables}
}

/** The tables the legacy backend has in the namespace, from /proc/net/ip{,6}_tables_names; [] when the file is absent. */
export async function legacyTableNames(opts: ProbeOptions = {}): Promise<string[]> {
  const name = opts.family === 'ipv6' ? 'ip6_tables_names' : 'ip_tables_names'
  // Read through /proc/<pid>/net of a process in the namespace when there is one: no process
  // started (a `cat` through nsenter costs about as much as an empty save). A stubbed exec
  // (unit tests) is always asked.
  if (!opts.exec) {
    const direct = readProcNet(opts.netns ?? {kind: 'current'}, name)
    if (direct !== undefined) return direct
  }
  const exec = opts.exec ?? defaultRun
  const file = `/proc/net/${name}`
  const r = await exec('cat', [file], {netns: opts.netns, okExitCodes: [1]})
  if (r.exitCode !== 0) return []
  return r.stdout
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
}

/** What the system's plain `iptables` command is (`iptables -V` says nf_tables or legacy); undefined when unknown. */
export async function systemBackend(opts: ProbeOptions = {}): Promise<Backend | undefined> {
  const exec = opts.exec ?? defaultRun
  try {
    const {stdout} = await exec(opts.family === 'ipv6' ? 'ip6tables' : 'iptables', ['-V'])
    return /\(nf_tables\)/.test(stdout) ? 'nft' : /\(legacy\)/.test(stdout) ? 'legacy' : undefined
  } catch {
    return undefined
  }
}

/** Reads both backends of a namespace (read-only; never creates a legacy table). */
export async function probeBackends(opts: ProbeOptions = {}): Promise<BackendEvidence> {
  const exec = opts.exec ?? defaultRun
  const family = opts.family ?? 'ipv4'
  const empty = {rules: 0, dockerChains: [], tables: []}
  const nftP = exec(iptablesProgram(family, 'nft', 'save'), [], {netns: opts.netns})
    .then((r) => ({available: true, ...summarizeSave(r.stdout)}))
    .catch(() => ({available: false, ...empty}))
  const legacyP = legacyTableNames(opts).then(async (names) => {
    if (names.length === 0) return {available: true, ...empty}
    try {
      const r = await exec(iptablesProgram(family, 'legacy', 'save'), [], {netns: opts.netns})
      return {available: true, ...summarizeSave(r.stdout)}
    } catch {
      return {available: false, ...empty}
    }
  })
  const [nft, legacy, systemDefault] = await Promise.all([nftP, legacyP, systemBackend({...opts, exec})])
  return {nft, legacy, ...(systemDefault ? {systemDefault} : {})}
}
