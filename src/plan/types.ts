// The plan is typed data (Terraform's internal/plans): a closed set of actions,
// changes with before/after values and display-only reasons, drift found during
// refresh, and the exact firewall transactions apply will run. Renderers and the
// JSON view read the same structure; apply never branches on `reasons`.
import type {Diagnostic} from '../errors.js'
import type {Backend, Family} from '../model/types.js'
import type {
  Attributes,
  FirewallTable,
  NamespaceKey,
  Origin,
  ResourceType,
  RuleLine,
  StateResource,
} from '../model/resources.js'

export const PLAN_FORMAT_VERSION = '1.0'

export type Action = 'create' | 'update' | 'replace' | 'delete' | 'no-op' | 'deferred'

export interface Change {
  address: string
  type: ResourceType
  action: Action
  /** Attributes before (actual, or prior state when the object is gone) and after; null when absent. */
  before: Attributes | null
  after: Attributes | null
  /** Why the action is needed, for people; never read by apply. */
  reasons: string[]
  /** Addresses this change depends on (create order); deletes run in the reverse order. */
  dependsOn: string[]
  /** For rule-like resources: the iptables lines before and after, for the expanded view. */
  lines?: {before: RuleLine[]; after: RuleLine[]}
  /** For a network replace: containers the replace disconnects (and reconnects). */
  disconnects?: string[]
  /** For apply: the Docker ids it needs (`id` of a network, `container`). */
  ids?: {[key: string]: string}
  /** Networks and attachments: how the object came under dockwall's management; the state records it. */
  origin?: Origin
  /** Apply only removes the state entry: the object is gone already, or dockwall adopted it and releases it. */
  forget?: true
  /** A deferred change that waits for no container: it has no address family to be written in (for people). */
  unwritable?: true
  /** Set when the change adopts an existing object (an import): what it adopts, for people. */
  importing?: string
  /** The ID of the `import` block the change adopts by (absent for `dockwall import` and adoptions). */
  importId?: string
  /** For a replace: the attributes whose new values force it (Terraform's replace_paths). */
  replacePaths?: string[]
  /** A replace the operator asked for (`--replace ADDRESS`), not one the attributes force: Terraform's replace_by_request. */
  requested?: true
  /**
   * Not declared by the configuration but implied by it: the firewall base when there is no
   * `firewall` block. Owned chains (type `chain`) are always implied; see isImplied.
   */
  implied?: true
}

/** The reason a replace the operator asked for carries (its header reads "will be replaced, as requested"). */
export const REQUESTED_REPLACE = 'replacement requested with --replace'

/** Whether a change is one the configuration implies rather than declares (counted apart: issue 14). */
export function isImplied(c: Pick<Change, 'type' | 'implied'>): boolean {
  return c.type === 'chain' || c.implied === true
}

export type DriftKind =
  | 'deleted' // in state, gone from the host
  | 'changed' // present, but different from what dockwall wrote
  | 'foreign-rule' // a rule without a dockwall comment inside an owned chain
  | 'jump-missing' // the jump into an owned chain is gone or not first
  | 'lost-static-ip' // an attachment no longer has its static address

export interface Drift {
  address: string
  kind: DriftKind
  summary: string
  /** The offending iptables line, for foreign rules. */
  line?: RuleLine
}

/** One `iptables-restore --noflush` (or `ip6tables-restore`) transaction: one table of one family in one namespace. */
export interface FirewallTransaction {
  namespace: NamespaceKey
  family: Family
  backend: Backend
  table: FirewallTable
  /** The complete restore input, `*table` to `COMMIT`. */
  input: string
  /** Addresses whose lines this transaction writes or removes (for progress and state). */
  addresses: string[]
}

export type PlanMode = 'normal' | 'destroy' | 'refresh-only'

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION
  dockwallVersion: string
  mode: PlanMode
  /** Changes sorted by address; no-ops included so views can count and the state can record adoptions. */
  changes: Change[]
  drift: Drift[]
  warnings: Diagnostic[]
  /** Firewall transactions in the order apply runs them. */
  firewall: FirewallTransaction[]
  /** The state the plan was computed against; apply of a saved plan refuses if it moved. */
  prior: {serial: number; lineage: string | null}
  /**
   * The lineage of the state this plan's apply writes: the prior state's, or for a first
   * apply one chosen by the plan. Networks the apply creates are labelled with it, and the
   * state carrying it is written before the first host change, so a network whose create
   * is interrupted before any save is still recognised as this state's own.
   */
  lineage: string
  /** Hash of the refreshed actual state the plan was computed from. */
  actualHash: string
  targets: string[]
  /**
   * Refresh-only plans: the state's resources as refresh found them (Terraform's refreshed
   * state), what `apply --refresh-only` records; nothing else is applied.
   */
  refreshed?: StateResource[]
}
