// The machine view of a plan (`--json`), documented in docs/PLAN-JSON.md. It is a
// translation of the same Plan the text and Ink views render, with snake_case
// keys and a version of its own, so scripts do not break when internal field
// names move. Each resource change also carries Terraform's `change` object
// (`actions`, `before`, `after`, `replace_paths`, `importing`), so tools written for
// `terraform show -json` read it. Change this file and docs/PLAN-JSON.md together.
import type {Diagnostic} from '../errors.js'
import type {Attributes, FirewallTable, ResourceType, RuleLine} from '../model/resources.js'
import type {Family} from '../model/types.js'
import {isImplied, type Action, type Change, type DriftKind, type Plan, type PlanMode} from '../plan/types.js'
import {wireIds} from '../plan/wire.js'
import {planHasChanges, summarizePlan} from '../plan/summary.js'

/** Version of this JSON format (not of the plan file); minor bumps only add fields. */
export const PLAN_JSON_FORMAT_VERSION = '1.4'

export interface RuleLineJson {
  namespace: string
  family: Family
  table: FirewallTable
  chain: string
  spec: string
}

/** Terraform's action vocabulary (its JSON plan's `change.actions` values) as dockwall uses it. */
export type TerraformAction = 'no-op' | 'create' | 'update' | 'delete' | 'forget'

/** Terraform's `change` object of a resource change (`terraform show -json`), as far as dockwall has its parts. */
export interface ChangeJson {
  /** What this apply does to the object, in Terraform's words: see actionsOf. */
  actions: TerraformAction[]
  before: Attributes | null
  after: Attributes | null
  /** A replace: the attributes whose new values force it, each a path of one attribute name. */
  replace_paths?: string[][]
  /** An import: Terraform's `importing` object; `id` is the import block's ID (absent for `dockwall import`). */
  importing?: {id?: string}
}

export interface ResourceChangeJson {
  address: string
  type: ResourceType
  action: Action
  /** Terraform's form of the same change (format 1.2). */
  change: ChangeJson
  before: Attributes | null
  after: Attributes | null
  reasons: string[]
  depends_on: string[]
  /** Present for resources that own iptables lines. */
  lines?: {before: RuleLineJson[]; after: RuleLineJson[]}
  /** Present for a network replace. */
  disconnects?: string[]
  ids?: {[key: string]: string}
  importing?: string
  /** Present (true) when the configuration implies the object rather than declares it: an owned chain, the firewall base (format 1.3). */
  implied?: true
  /** Terraform's `action_reason` for a replace asked for with `--replace` (format 1.4). */
  action_reason?: 'replace_by_request'
}

export interface ResourceDriftJson {
  address: string
  kind: DriftKind
  summary: string
  line?: RuleLineJson
}

export interface DiagnosticJson {
  severity: 'error' | 'warning'
  summary: string
  detail?: string
  address?: string
  range?: {filename: string; line: number; column: number}
}

export interface FirewallTransactionJson {
  namespace: string
  family: Family
  backend: 'nft' | 'legacy'
  table: FirewallTable
  input: string
  addresses: string[]
}

export interface PlanJson {
  format_version: typeof PLAN_JSON_FORMAT_VERSION
  dockwall_version: string
  plan_format_version: string
  mode: PlanMode
  /** True when applying would do something: change the host, or record imports and forgotten objects (planHasChanges); never for refresh-only. */
  applyable: boolean
  summary: {
    import: number
    add: number
    change: number
    destroy: number
    replace: number
    deferred: number
    drift: number
    /** The implied changes, counted apart from the declared ones above (format 1.3). */
    implied: {add: number; change: number; destroy: number}
  }
  resource_changes: ResourceChangeJson[]
  resource_drift: ResourceDriftJson[]
  warnings: DiagnosticJson[]
  firewall_transactions: FirewallTransactionJson[]
  prior_state: {serial: number; lineage: string | null}
  actual_hash: string
  targets: string[]
}

function ruleLineJson(l: RuleLine): RuleLineJson {
  return {namespace: l.namespace, family: l.family, table: l.table, chain: l.chain, spec: l.spec}
}

/**
 * A change's actions as Terraform's JSON plan spells them, for what this apply does:
 * - a replace is `["delete", "create"]`: dockwall removes the network (or disconnects the
 *   container) before it creates the new one, since Docker cannot hold both under one name;
 * - a delete that only drops the state entry (an adopted object released, or one already
 *   gone) is `["forget"]`, as Terraform's `removed` blocks;
 * - an imported rule moved into dockwall's chain is `["update"]`: the object exists and is
 *   rewritten in one transaction (Terraform: an import with changes);
 * - a deferred change does nothing now (`["no-op"]`), except a deferred rule whose lines come
 *   off the host until its container exists (`["update"]`: the state keeps it, lineless).
 */
export function actionsOf(c: Change): TerraformAction[] {
  switch (c.action) {
    case 'create':
      return c.importing ? ['update'] : ['create']
    case 'update':
      return ['update']
    case 'replace':
      return ['delete', 'create']
    case 'delete':
      return c.forget ? ['forget'] : ['delete']
    case 'no-op':
      return ['no-op']
    case 'deferred':
      return (c.lines?.before.length ?? 0) > 0 ? ['update'] : ['no-op']
  }
}

function changeJson(c: Change): ChangeJson {
  const out: ChangeJson = {actions: actionsOf(c), before: c.before, after: c.after}
  if (c.action === 'replace' && c.replacePaths && c.replacePaths.length > 0)
    out.replace_paths = c.replacePaths.map((p) => [p])
  if (c.importing) out.importing = c.importId === undefined ? {} : {id: c.importId}
  return out
}

function diagnosticJson(d: Diagnostic): DiagnosticJson {
  const out: DiagnosticJson = {severity: d.severity, summary: d.summary}
  if (d.detail !== undefined) out.detail = d.detail
  if (d.address !== undefined) out.address = d.address
  if (d.at) out.range = {filename: d.at.file, line: d.at.line, column: d.at.column}
  return out
}

export function planToJson(plan: Plan): PlanJson {
  const s = summarizePlan(plan)
  return {
    format_version: PLAN_JSON_FORMAT_VERSION,
    dockwall_version: plan.dockwallVersion,
    plan_format_version: plan.formatVersion,
    mode: plan.mode,
    // A refresh-only plan reports drift (exit code 2) but gives apply nothing to do.
    applyable: plan.mode !== 'refresh-only' && planHasChanges(plan),
    summary: {
      import: s.import,
      add: s.add,
      change: s.change,
      destroy: s.destroy,
      replace: s.replace,
      deferred: s.deferred,
      drift: s.drift,
      implied: {add: s.implied.add, change: s.implied.change, destroy: s.implied.destroy},
    },
    resource_changes: plan.changes.map((c) => {
      const out: ResourceChangeJson = {
        address: c.address,
        type: c.type,
        action: c.action,
        change: changeJson(c),
        before: c.before,
        after: c.after,
        reasons: [...c.reasons],
        depends_on: [...c.dependsOn],
      }
      if (c.lines) out.lines = {before: c.lines.before.map(ruleLineJson), after: c.lines.after.map(ruleLineJson)}
      if (c.disconnects) out.disconnects = [...c.disconnects]
      const ids = wireIds(c)
      if (ids) out.ids = ids
      if (c.importing) out.importing = c.importing
      if (isImplied(c)) out.implied = true
      if (c.requested) out.action_reason = 'replace_by_request'
      return out
    }),
    resource_drift: plan.drift.map((d) => {
      const out: ResourceDriftJson = {address: d.address, kind: d.kind, summary: d.summary}
      if (d.line) out.line = ruleLineJson(d.line)
      return out
    }),
    warnings: plan.warnings.map(diagnosticJson),
    firewall_transactions: plan.firewall.map((t) => ({
      namespace: t.namespace,
      family: t.family,
      backend: t.backend,
      table: t.table,
      input: t.input,
      addresses: [...t.addresses],
    })),
    prior_state: {serial: plan.prior.serial, lineage: plan.prior.lineage},
    actual_hash: plan.actualHash,
    targets: [...plan.targets],
  }
}
