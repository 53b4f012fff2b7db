// The machine view of a plan (`--json`), documented in PLAN-JSON.md. It is a
// translation of the same Plan the text and Ink views render, with snake_case
// keys and a version of its own, so scripts do not break when internal field
// names move. Change this file and PLAN-JSON.md together.
import type {Diagnostic} from '../errors.js'
import type {Attributes, FirewallTable, ResourceType, RuleLine} from '../model/resources.js'
import type {Family} from '../model/types.js'
import type {Action, DriftKind, Plan, PlanMode} from '../plan/types.js'
import {wireIds} from '../plan/wire.js'
import {planHasChanges, summarizePlan} from '../plan/summary.js'

/** Version of this JSON format (not of the plan file); minor bumps only add fields. */
export const PLAN_JSON_FORMAT_VERSION = '1.1'

export interface RuleLineJson {
  namespace: string
  family: Family
  table: FirewallTable
  chain: string
  spec: string
}

export interface ResourceChangeJson {
  address: string
  type: ResourceType
  action: Action
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
    },
    resource_changes: plan.changes.map((c) => {
      const out: ResourceChangeJson = {
        address: c.address,
        type: c.type,
        action: c.action,
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
