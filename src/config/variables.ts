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

/** Values from every source, a later one winning: defaults, the environment, var files, then --var. */
export function resolveVariables(
  decls: VariableDecl[],
  inputs: VariableInputs,
): {values: Map<string, VarValue | undefined>; diagnostics: Diagnostic[]} {
  const r = new Resolution(decls)
  r.defaults()
  r.environment(inputs.env)
  for (const vf of inputs.varFiles) r.varFile(vf)
  for (const entry of inputs.cliVars) r.cliVar(entry)
  return {values: r.final(), diagnostics: r.diagnostics}
}

class Resolution {
  readonly diagnostics: Diagnostic[] = []
  private readonly byName: Map<string, VariableDecl>
  private readonly values = new Map<string, VarValue | undefined>()
  private readonly typeOf = new Map<string, VarType | undefined>()
  /** Variables whose value was given but wrong: already reported, so not "has no value" too. */
  private readonly broken = new Set<string>()

  constructor(private readonly decls: VariableDecl[]) {
    this.byName = new Map(decls.map((d) => [d.name, d]))
  }

  /** Records a converted value, or its error (the variable is then broken). */
  private set(name: string, v: {value: VarValue} | {error: string}, error: (message: string) => Diagnostic): void {
    if ('error' in v) {
      this.diagnostics.push(error(v.error))
      this.broken.add(name)
    } else this.values.set(name, v.value)
  }

  defaults(): void {
    for (const d of this.decls) {
      const type = d.type ?? inferType(d.default)
      this.typeOf.set(d.name, type)
      if (d.default === undefined || d.default === null) continue
      this.set(d.name, checkTyped(d.default, type), (e) => ({
        severity: 'error',
        summary: `the default ${e}`,
        at: d.defaultAt ?? d.at,
        address: d.address,
      }))
    }
  }

  environment(env: Record<string, string | undefined>): void {
    for (const d of this.decls) {
      const raw = env[ENV_PREFIX + d.name]
      if (raw === undefined) continue
      this.set(d.name, convertText(raw, this.typeOf.get(d.name)), (e) => ({
        severity: 'error',
        summary: `${ENV_PREFIX}${d.name} (environment): ${e}`,
      }))
    }
  }

  varFile(vf: VarFileValues): void {
    for (const [name, raw] of Object.entries(vf.values)) {
      if (!this.byName.has(name)) {
        // A shared var file may set variables other configurations use: a warning, not an error.
        const hint = closest(name, this.byName.keys())
        this.diagnostics.push({
          severity: 'warning',
          summary: `no variable "${name}" is declared; the value is ignored${hint ? `; did you mean "${hint}"?` : ''}`,
          at: vf.at(name),
        })
        continue
      }
      if (typeof raw === 'string' && (raw.includes('${') || raw.includes('%{'))) {
        this.diagnostics.push({
          severity: 'error',
          summary: `"${name}": a variable file holds literal values, not expressions`,
          at: vf.at(name),
        })
        continue
      }
      this.set(name, checkTyped(raw, this.typeOf.get(name)), (e) => ({
        severity: 'error',
        summary: `"${name}" ${e}`,
        at: vf.at(name),
      }))
    }
  }

  /** One `--var NAME=VALUE`. */
  cliVar(entry: string): void {
    const eq = entry.indexOf('=')
    if (eq <= 0) {
      this.diagnostics.push({severity: 'error', summary: `--var ${JSON.stringify(entry)}: expected NAME=VALUE`})
      return
    }
    const name = entry.slice(0, eq)
    const raw = entry.slice(eq + 1)
    if (!this.byName.has(name)) {
      const hint = closest(name, this.byName.keys())
      this.diagnostics.push({
        severity: 'error',
        summary: `--var ${name}: no variable "${name}" is declared${hint ? `; did you mean "${hint}"?` : ''}`,
      })
      return
    }
    this.set(name, convertText(raw, this.typeOf.get(name)), (e) => ({
      severity: 'error',
      summary: `--var ${name}=${raw}: ${e}`,
    }))
  }

  /** Every declared variable's value; one without any (and not broken) is an error. */
  final(): Map<string, VarValue | undefined> {
    const out = new Map<string, VarValue | undefined>()
    for (const d of this.decls) {
      const v = this.values.get(d.name)
      if (v === undefined && !this.broken.has(d.name)) {
        this.diagnostics.push({
          severity: 'error',
          summary: `variable "${d.name}" has no value: give it a default, set ${ENV_PREFIX}${d.name}, or pass --var ${d.name}=VALUE`,
          at: d.at,
          address: d.address,
        })
      }
      out.set(d.name, v)
    }
    return out
  }
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
