// Variable values, lowest to highest precedence: the block's default, the environment
// (DOCKWALL_VAR_<name>), --var-file files in order, --var flags in order.
// Values from the environment and --var are text and are converted to the variable's
// type (declared, or inferred from the default); values from files and defaults are
// already typed and are checked against it.
import type {Diagnostic} from '../errors.js'
import type {SourcePos} from '../model/types.js'
import type {VarValue} from './expressions.js'
import {closest} from './suggest.js'

export type VarType = 'string' | 'number' | 'bool' | 'list'
export const VAR_TYPES: readonly VarType[] = ['string', 'number', 'bool', 'list']

export interface VariableDecl {
  name: string
  type?: VarType
  default?: unknown
  description?: string
  at: SourcePos
  /** Where `default` was written, if it was. */
  defaultAt?: SourcePos
  address: string
}

/** Values read from one --var-file, with the position of each name. */
export interface VarFileValues {
  file: string
  values: Record<string, unknown>
  at: (name: string) => SourcePos
}

export interface VariableInputs {
  env: Record<string, string | undefined>
  varFiles: VarFileValues[]
  /** Raw `--var NAME=VALUE` strings. */
  cliVars: string[]
}

export const ENV_PREFIX = 'DOCKWALL_VAR_'

export function resolveVariables(
  decls: VariableDecl[],
  inputs: VariableInputs,
): {values: Map<string, VarValue | undefined>; diagnostics: Diagnostic[]} {
  const diagnostics: Diagnostic[] = []
  const byName = new Map(decls.map((d) => [d.name, d]))
  const values = new Map<string, VarValue | undefined>()
  const typeOf = new Map<string, VarType | undefined>()
  // Variables whose value was given but wrong: already reported, so not "has no value" too.
  const broken = new Set<string>()

  for (const d of decls) {
    const type = d.type ?? inferType(d.default)
    typeOf.set(d.name, type)
    if (d.default === undefined || d.default === null) continue
    const v = checkTyped(d.default, type)
    if ('error' in v) {
      diagnostics.push({
        severity: 'error',
        summary: `the default ${v.error}`,
        at: d.defaultAt ?? d.at,
        address: d.address,
      })
      broken.add(d.name)
    } else values.set(d.name, v.value)
  }

  for (const d of decls) {
    const raw = inputs.env[ENV_PREFIX + d.name]
    if (raw === undefined) continue
    const v = convertText(raw, typeOf.get(d.name))
    if ('error' in v) {
      diagnostics.push({severity: 'error', summary: `${ENV_PREFIX}${d.name} (environment): ${v.error}`})
      broken.add(d.name)
    } else values.set(d.name, v.value)
  }

  for (const vf of inputs.varFiles) {
    for (const [name, raw] of Object.entries(vf.values)) {
      const decl = byName.get(name)
      if (!decl) {
        // A shared var file may set variables other configurations use: a warning, not an error.
        const hint = closest(name, byName.keys())
        diagnostics.push({
          severity: 'warning',
          summary: `no variable "${name}" is declared; the value is ignored${hint ? `; did you mean "${hint}"?` : ''}`,
          at: vf.at(name),
        })
        continue
      }
      if (typeof raw === 'string' && (raw.includes('${') || raw.includes('%{'))) {
        diagnostics.push({
          severity: 'error',
          summary: `"${name}": a variable file holds literal values, not expressions`,
          at: vf.at(name),
        })
        continue
      }
      const v = checkTyped(raw, typeOf.get(name))
      if ('error' in v) {
        diagnostics.push({severity: 'error', summary: `"${name}" ${v.error}`, at: vf.at(name)})
        broken.add(name)
      } else values.set(name, v.value)
    }
  }

  for (const entry of inputs.cliVars) {
    const eq = entry.indexOf('=')
    if (eq <= 0) {
      diagnostics.push({severity: 'error', summary: `--var ${JSON.stringify(entry)}: expected NAME=VALUE`})
      continue
    }
    const name = entry.slice(0, eq)
    const raw = entry.slice(eq + 1)
    const decl = byName.get(name)
    if (!decl) {
      const hint = closest(name, byName.keys())
      diagnostics.push({
        severity: 'error',
        summary: `--var ${name}: no variable "${name}" is declared${hint ? `; did you mean "${hint}"?` : ''}`,
      })
      continue
    }
    const v = convertText(raw, typeOf.get(name))
    if ('error' in v) {
      diagnostics.push({severity: 'error', summary: `--var ${name}=${raw}: ${v.error}`})
      broken.add(name)
    } else values.set(name, v.value)
  }

  const out = new Map<string, VarValue | undefined>()
  for (const d of decls) {
    const v = values.get(d.name)
    if (v === undefined && !broken.has(d.name)) {
      diagnostics.push({
        severity: 'error',
        summary: `variable "${d.name}" has no value: give it a default, set ${ENV_PREFIX}${d.name}, or pass --var ${d.name}=VALUE`,
        at: d.at,
        address: d.address,
      })
    }
    out.set(d.name, v)
  }
  return {values: out, diagnostics}
}

function inferType(def: unknown): VarType | undefined {
  if (typeof def === 'number') return 'number'
  if (typeof def === 'boolean') return 'bool'
  if (Array.isArray(def)) return 'list'
  if (typeof def === 'string') return 'string'
  return undefined
}

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
}

/** Checks a typed value (a default or from a var file) against the type. */
function checkTyped(v: unknown, type: VarType | undefined): {value: VarValue} | {error: string} {
  switch (type) {
    case 'string':
      if (isScalar(v)) return {value: String(v)}
      return {error: `must be a string, got ${Array.isArray(v) ? 'a list' : typeof v}`}
    case 'number':
      if (typeof v === 'number') return {value: v}
      if (typeof v === 'string' && NUMBER_RE.test(v.trim())) return {value: Number(v)}
      return {error: `must be a number, got ${JSON.stringify(v)}`}
    case 'bool':
      if (typeof v === 'boolean') return {value: v}
      if (v === 'true' || v === 'false') return {value: v === 'true'}
      return {error: `must be true or false, got ${JSON.stringify(v)}`}
    case 'list':
      if (Array.isArray(v) && v.every(isScalar)) return {value: v}
      return {error: `must be a list of strings or numbers, got ${JSON.stringify(v)}`}
    default:
      if (isScalar(v)) return {value: v}
      if (Array.isArray(v) && v.every(isScalar)) return {value: v}
      return {error: `must be a string, number, bool or a list of them, got ${JSON.stringify(v)}`}
  }
}

const NUMBER_RE = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/

/** Converts text from the environment or --var to the variable's type. Lists: JSON array, or comma-separated. */
export function convertText(raw: string, type: VarType | undefined): {value: VarValue} | {error: string} {
  switch (type) {
    case 'number':
      return NUMBER_RE.test(raw.trim())
        ? {value: Number(raw)}
        : {error: `the variable is a number; ${JSON.stringify(raw)} is not`}
    case 'bool':
      return raw === 'true' || raw === 'false'
        ? {value: raw === 'true'}
        : {error: `the variable is a bool: use true or false, not ${JSON.stringify(raw)}`}
    case 'list': {
      const t = raw.trim()
      if (t.startsWith('[')) {
        try {
          const v = JSON.parse(t) as unknown
          if (Array.isArray(v) && v.every(isScalar)) return {value: v}
        } catch {
          // fall through to the message
        }
        return {error: 'the variable is a list: give a JSON array of strings or numbers, or comma-separated values'}
      }
      return {value: t === '' ? [] : t.split(',').map((s) => s.trim())}
    }
    default:
      return {value: raw}
  }
}
