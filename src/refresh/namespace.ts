// Reads one network namespace's iptables state: chooses the backend (auto:
// Docker's chains decide, else the one holding more rules) from the same saves
// that are then parsed, so a refresh costs about one iptables-save per backend
// present, not a probe plus a save.
import type {Backend, BackendSetting, Family} from '../model/types.js'
import {iptablesProgram} from '../netfilter/commands.js'
import {
  detectBackend,
  keepTables,
  legacyTableNames,
  parseRuleset,
  summarizeSave,
  systemBackend,
  type BackendChoice,
  type BackendEvidence,
} from '../netfilter/index.js'
import {run, type NetnsTarget} from '../util/exec.js'
import {readProcNet} from '../util/netns.js'
import {readTables, toActualTables} from './tables.js'
import type {ActualTables} from './types.js'
import {FIREWALL_TABLES, type NamespaceKey} from '../model/resources.js'

const TABLES = FIREWALL_TABLES

export interface NamespaceRead {
  backend: Backend
  reason: string
  warning?: string
  tables: ActualTables
  /** ip6tables, when asked for and readable with the backend in use. */
  tables6?: ActualTables
  /** dockwall chains and jumps found in the other backend (written before the namespace's backend changed). */
  stale?: {backend: Backend; tables: ActualTables; tables6?: ActualTables}
  /** Both backends' saves as read (all tables; null: that save failed), for the SSH guard's evaluation of the host. */
  saves: Record<Backend, string | null>
}

export interface ReadOptions {
  /**
   * The backend to use when neither backend holds any rule yet. For a container: the host's,
   * since dockerd writes the container's embedded-DNS rules with the same iptables as its own.
   */
  fallback?: BackendChoice
  /** Read ip6tables too (the host always; a container only when IPv6 concerns it: see refresh.ts). */
  ipv6?: boolean
}

/** Only dockwall's chains and the jumps into them, from a save of the backend not in use. */
function dockwallOnly(text: string): string {
  return text
    .split('\n')
    .filter(
      (l) =>
        l.startsWith('*') ||
        l === 'COMMIT' ||
        l.startsWith(':DOCKWALL-') ||
        (l.startsWith('-A ') && l.includes('DOCKWALL-')),
    )
    .join('\n')
}

async function save(cmd: string, target: NetnsTarget, signal?: AbortSignal): Promise<string | undefined> {
  try {
    // stdout only: iptables-nft warns about legacy tables on stderr.
    return (await run(cmd, [], {netns: target, ...(signal ? {cancelSignal: signal} : {})})).stdout
  } catch {
    return undefined
  }
}

export interface FamilySaves {
  nft?: string
  legacy?: string
}

/**
 * One full save per backend, at once. Without -t, iptables-legacy-save prints exactly the
 * tables /proc/net/ip{,6}_tables_names lists (iptables' for_each_table): it creates none and
 * loads no module (checked here in a fresh namespace, for both families: empty output, the
 * file stays empty), so its output says itself whether legacy tables exist, and the probe of
 * that file is needed only when the save fails. Measured with `npm run bench`.
 */
async function saveFamily(
  target: NetnsTarget,
  family: Family,
  nftGate?: Promise<boolean>,
  signal?: AbortSignal,
): Promise<FamilySaves> {
  // Where a process in the namespace shows its /proc/net, an empty table list there spares the
  // legacy save (a process each, two per namespace with IPv6: issue 12's refresh cost).
  const noLegacy = readProcNet(target, family === 'ipv4' ? 'ip_tables_names' : 'ip6_tables_names')?.length === 0
  const [nft, legacySaved] = await Promise.all([
    (nftGate ?? Promise.resolve(true)).then((wanted) =>
      wanted ? save(iptablesProgram(family, 'nft', 'save'), target, signal) : '',
    ),
    noLegacy ? Promise.resolve('') : save(iptablesProgram(family, 'legacy', 'save'), target, signal),
  ])
  // Killed: nothing to look into (the reads are not used).
  if (signal?.aborted) return {}
  const legacy = legacySaved ?? ((await legacyTableNames({netns: target, family})).length > 0 ? undefined : '')
  return {...(nft !== undefined ? {nft} : {}), ...(legacy !== undefined ? {legacy} : {})}
}

/** A table header in a save (`*filter`): an empty save has none. */
const TABLE_LINE = /^\*/m
/** One of Docker's chains declared in a save (summarizeSave's test, without a full pass). */
const DOCKER_CHAIN = /^:DOCKER(?:[-_]\S*)? /m

/**
 * The IPv4 and IPv6 saves of a namespace, at once, except one: where Docker's chains are in
 * iptables-legacy and iptables-nft holds no IPv4 table at all, the ip6tables-nft save is
 * not made. Docker writes both families with one backend, and a backend switch leaves its
 * old chains, and any stale dockwall lines, in the other backend's IPv4 tables too (until a
 * reboot empties both families), so such an nft side has nothing of ours in IPv6 either, and
 * the backend is decided by Docker's chains in any case. It spares one of the two processes
 * issue 12's IPv6 support added to a legacy host's refresh. The wait it costs falls only on
 * namespaces with legacy IPv4 tables; nft hosts run all their saves at once.
 */
async function saveFamilies(target: NetnsTarget, ipv6: boolean, signal?: AbortSignal): Promise<RawSaves> {
  const legacy4 = readProcNet(target, 'ip_tables_names')
  const v4 = saveFamily(target, 'ipv4', undefined, signal)
  if (!ipv6) return [await v4, undefined]
  const gate =
    legacy4 !== undefined && legacy4.length > 0
      ? v4.then(
          (s) =>
            !(s.nft !== undefined && !TABLE_LINE.test(s.nft) && s.legacy !== undefined && DOCKER_CHAIN.test(s.legacy)),
        )
      : undefined
  return Promise.all([v4, saveFamily(target, 'ipv6', gate, signal)])
}

/** A namespace's saves as read, IPv4 and (when asked) IPv6, before a backend is chosen. */
export type RawSaves = [FamilySaves, FamilySaves | undefined]

/**
 * Starts the saves readNamespaceSaves makes, before its caller knows the backend setting:
 * openSession starts the host's while the configuration is read. `signal` kills them.
 */
export function startSaves(target: NetnsTarget, opts: {ipv6: boolean; signal?: AbortSignal}): Promise<RawSaves> {
  return saveFamilies(target, opts.ipv6, opts.signal)
}

/** Both families' saves summed: Docker writes iptables and ip6tables with the same backend. */
function evidenceOf(v4: FamilySaves, v6: FamilySaves | undefined): BackendEvidence {
  const state = (b: Backend): BackendEvidence[Backend] => {
    const a = summarizeSave(v4[b] ?? '')
    const c = summarizeSave(v6?.[b] ?? '')
    return {
      available: v4[b] !== undefined,
      rules: a.rules + c.rules,
      dockerChains: [...new Set([...a.dockerChains, ...c.dockerChains])].sort(),
      tables: a.tables,
    }
  }
  return {nft: state('nft'), legacy: state('legacy')}
}

// The system's iptables does not change while dockwall runs: ask once per process.
let systemDefault: Promise<Backend | undefined> | undefined

// toActualTables (eager) and readTables (parses only what the planner reads up front) live in tables.ts.
export {toActualTables} from './tables.js'

/** A namespace's saves and the backend chosen from them, before anything is parsed. */
export interface NamespaceSaves {
  backend: Backend
  reason: string
  /** Backend warnings and an unreadable ip6tables save, joined. */
  warning?: string
  v4: FamilySaves
  /** Read only when ReadOptions.ipv6 asked for it. */
  v6?: FamilySaves
}

/**
 * Reads a namespace's saves (both backends, IPv6 when asked) and chooses its backend, as
 * refresh does, without parsing a rule: `dockwall explain` reads the host this way (its
 * evaluator parses the chains a packet visits, not the whole dump).
 */
export async function readNamespaceSaves(
  target: NetnsTarget,
  setting: BackendSetting,
  opts: ReadOptions = {},
  /** startSaves(target, {ipv6: opts.ipv6}), started earlier by the caller. */
  started?: Promise<RawSaves>,
): Promise<NamespaceSaves> {
  const [v4, v6] = await (started ?? saveFamilies(target, opts.ipv6 === true))
  const evidence = evidenceOf(v4, v6)
  // The system's `iptables` decides only when neither backend holds a rule (decideBackend): ask it then.
  const empty = evidence.nft.rules === 0 && evidence.legacy.rules === 0
  if (empty) {
    systemDefault ??= systemBackend()
    const sys = await systemDefault
    if (sys) evidence.systemDefault = sys
  }
  const {backend, reason, warning} =
    setting === 'auto' && empty && opts.fallback
      ? opts.fallback
      : await detectBackend({setting, probe: async () => evidence})
  if (v4[backend] === undefined) throw new Error(`${iptablesProgram('ipv4', backend, 'save')} failed in this namespace`)
  const warnings = warning ? [warning] : []
  // A kernel without IPv6 netfilter: say so, and plan nothing IPv6 here rather than fail the refresh.
  if (v6 && v6[backend] === undefined)
    warnings.push(`${iptablesProgram('ipv6', backend, 'save')} failed: IPv6 rules are neither read nor written here`)
  const out: NamespaceSaves = {backend, reason, v4}
  if (v6) out.v6 = v6
  if (warnings.length > 0) out.warning = warnings.join('; ')
  return out
}

/** `saves`: readNamespaceSaves(target, setting, opts) started earlier by the caller. */
export async function readNamespace(
  target: NetnsTarget,
  setting: BackendSetting,
  opts: ReadOptions = {},
  saves?: Promise<NamespaceSaves>,
): Promise<NamespaceRead> {
  const {backend, reason, warning, v4, v6} = await (saves ?? readNamespaceSaves(target, setting, opts))
  const read: NamespaceRead = {
    backend,
    reason,
    tables: readTables(keepTables(v4[backend]!, TABLES)),
    saves: {nft: v4.nft ?? null, legacy: v4.legacy ?? null},
  }
  if (warning) read.warning = warning
  const text6 = v6?.[backend]
  if (text6 !== undefined) read.tables6 = readTables(keepTables(text6, TABLES), 'ipv6')
  const otherBackend: Backend = backend === 'nft' ? 'legacy' : 'nft'
  const otherText = v4[otherBackend]
  const otherText6 = v6?.[otherBackend]
  const stale4 = otherText?.includes('DOCKWALL-') ? otherText : undefined
  const stale6 = otherText6?.includes('DOCKWALL-') ? otherText6 : undefined
  if (stale4 !== undefined || stale6 !== undefined) {
    read.stale = {
      backend: otherBackend,
      tables: toActualTables(parseRuleset(dockwallOnly(keepTables(stale4 ?? '', TABLES)))),
      ...(stale6 !== undefined
        ? {tables6: toActualTables(parseRuleset(dockwallOnly(keepTables(stale6, TABLES)), {family: 'ipv6'}))}
        : {}),
    }
  }
  return read
}

export function namespaceLabel(key: NamespaceKey): string {
  return key === 'host' ? 'the host' : `container ${key.slice('container.'.length)}`
}
