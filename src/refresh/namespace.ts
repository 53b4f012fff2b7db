// Reads one network namespace's iptables state: chooses the backend (auto:
// Docker's chains decide, else the one holding more rules) from the same saves
// that are then parsed, so a refresh costs about one iptables-save per backend
// present, not a probe plus a save.
import type {Backend, BackendSetting} from '../model/types.js'
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
import {readTables, toActualTables} from './tables.js'
import type {ActualNamespace} from './types.js'
import {FIREWALL_TABLES, type NamespaceKey} from '../model/resources.js'

const TABLES = FIREWALL_TABLES

export interface NamespaceRead {
  backend: Backend
  reason: string
  warning?: string
  tables: ActualNamespace['tables']
  /** dockwall chains and jumps found in the other backend (written before the namespace's backend changed). */
  stale?: {backend: Backend; tables: ActualNamespace['tables']}
  /** Both backends' saves as read (all tables; null: that save failed), for the SSH guard's evaluation of the host. */
  saves: Record<Backend, string | null>
}

export interface ReadOptions {
  /**
   * The backend to use when neither backend holds any rule yet. For a container: the host's,
   * since dockerd writes the container's embedded-DNS rules with the same iptables as its own.
   */
  fallback?: BackendChoice
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

async function save(cmd: string, target: NetnsTarget): Promise<string | undefined> {
  try {
    // stdout only: iptables-nft warns about legacy tables on stderr.
    return (await run(cmd, [], {netns: target})).stdout
  } catch {
    return undefined
  }
}

// The system's iptables does not change while dockwall runs: ask once per process.
let systemDefault: Promise<Backend | undefined> | undefined

// toActualTables (eager) and readTables (parses only what the planner reads up front) live in tables.ts.
export {toActualTables} from './tables.js'

export async function readNamespace(
  target: NetnsTarget,
  setting: BackendSetting,
  opts: ReadOptions = {},
): Promise<NamespaceRead> {
  // One full save per backend, at once. Without -t, iptables-legacy-save prints exactly the
  // tables /proc/net/ip_tables_names lists (iptables' for_each_table): it creates none and
  // loads no module (checked here in a fresh namespace: empty output, the file stays
  // empty), so its output says itself whether legacy tables exist, and the probe of that
  // file (a process) is needed only when the save fails. Measured with `npm run bench`.
  const [nftText, legacySaved] = await Promise.all([
    save('iptables-nft-save', target),
    save('iptables-legacy-save', target),
  ])
  const legacyText = legacySaved ?? ((await legacyTableNames({netns: target})).length > 0 ? undefined : '')
  const evidence: BackendEvidence = {
    nft: {available: nftText !== undefined, ...summarizeSave(nftText ?? '')},
    legacy: {available: legacyText !== undefined, ...summarizeSave(legacyText ?? '')},
  }
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
  const text = backend === 'nft' ? nftText : legacyText
  if (text === undefined) throw new Error(`iptables-${backend}-save failed in this namespace`)
  const read: NamespaceRead = {
    backend,
    reason,
    tables: readTables(keepTables(text, TABLES)),
    saves: {nft: nftText ?? null, legacy: legacyText ?? null},
  }
  if (warning) read.warning = warning
  const otherBackend: Backend = backend === 'nft' ? 'legacy' : 'nft'
  const otherText = otherBackend === 'nft' ? nftText : legacyText
  if (otherText && otherText.includes('DOCKWALL-')) {
    read.stale = {
      backend: otherBackend,
      tables: toActualTables(parseRuleset(dockwallOnly(keepTables(otherText, TABLES)))),
    }
  }
  return read
}

export function namespaceLabel(key: NamespaceKey): string {
  return key === 'host' ? 'the host' : `container ${key.slice('container.'.length)}`
}
