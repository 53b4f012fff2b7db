// Expressions. hcl2-parser leaves every expression as a "${...}" string (so does the
// JSON form), and dockwall deliberately evaluates only two things:
//   references   var.NAME, network.NAME, container.NAME
//   templates    "prefix-${var.NAME}" (string interpolation of variables)
// Anything else (function calls, arithmetic, conditionals, for) is an error with a
// position, not a half-supported feature. network.X and container.X stay symbolic
// (Ref): the planner resolves them against what Docker reports.
import {closest} from './suggest.js'
import type {Path, PathSeg} from './source.js'

export type RefKind = 'network' | 'container'

/** A reference to a network or container block, kept symbolic. */
export class Ref {
  constructor(
    readonly kind: RefKind,
    readonly name: string,
  ) {}

  toString(): string {
    return `${this.kind}.${this.name}`
  }
}

/** What a variable can hold. */
export type VarValue = string | number | boolean | Array<string | number | boolean>

/** An evaluated attribute value: JSON plus Refs. */
export type Value = string | number | boolean | null | Ref | Value[] | {[key: string]: Value}

export interface EvalContext {
  /** Declared variables; undefined when the variable has no usable value (already reported at its block). */
  vars: ReadonlyMap<string, VarValue | undefined>
  networks: ReadonlySet<string>
  containers: ReadonlySet<string>
}

export interface EvalProblem {
  /** Path of the value, relative to where evaluation started. */
  path: Path
  message: string
}

export interface EvalResult {
  value: Value | undefined
  problems: EvalProblem[]
  /** Paths whose value could not be computed (later checks skip them, so one mistake gives one error). */
  failed: Path[]
}

type Part = {lit: string} | {expr: string}

/** Splits a template into literal text and `${...}` expressions; `$${` is a literal `${`. */
export function parseTemplate(s: string): Part[] | {error: string} {
  const parts: Part[] = []
  let lit = ''
  let i = 0
  while (i < s.length) {
    const c = s[i]!
    if ((c === '$' || c === '%') && s[i + 1] === c && s[i + 2] === '{') {
      lit += `${c}{`
      i += 3
      continue
    }
    if (c === '%' && s[i + 1] === '{') {
      return {
        error:
          'template directives (%{if}, %{for}) are not supported; dockwall evaluates only references and "${var.NAME}" interpolation',
      }
    }
    if (c === '$' && s[i + 1] === '{') {
      const end = matchBrace(s, i + 2)
      if (end < 0) return {error: 'unclosed "${" in string'}
      if (lit) parts.push({lit})
      lit = ''
      parts.push({expr: s.slice(i + 2, end)})
      i = end + 1
      continue
    }
    lit += c
    i++
  }
  if (lit || parts.length === 0) parts.push({lit})
  return parts
}

/** Index of the `}` closing an interpolation whose body starts at `i`, skipping quoted strings; -1 if none. */
function matchBrace(s: string, i: number): number {
  let depth = 1
  for (; i < s.length; i++) {
    const c = s[i]
    if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++
    } else if (c === '{') depth++
    else if (c === '}' && --depth === 0) return i
  }
  return -1
}

const IDENT = '[A-Za-z_][A-Za-z0-9_-]*'
const TRAVERSAL_RE = new RegExp(`^${IDENT}(?:\\.${IDENT})*$`)

export type ParsedRef = {kind: 'var' | RefKind; name: string} | {error: string}

/** Parses the inside of one `${...}`: exactly `var.X`, `network.X` or `container.X`. */
export function parseReference(expr: string): ParsedRef {
  const e = expr.trim()
  if (e.startsWith('~') || e.endsWith('~'))
    return {error: `unsupported expression "${e}": whitespace strip markers (~) are not supported`}
  if (TRAVERSAL_RE.test(e)) {
    // Indexes, not `[root, ...rest] =`: the destructuring walks an iterator, once per reference.
    const parts = e.split('.')
    const root = parts[0]!
    const rest = parts.slice(1)
    if (root === 'var' || root === 'network' || root === 'container') {
      if (rest.length === 1) return {kind: root, name: rest[0]!}
      if (rest.length === 0) return {error: `"${root}" alone is not a value; write ${root}.NAME`}
      return {
        error: `attribute access is not supported: "${e}"; refer to the whole ${root === 'var' ? 'variable' : root} (${root}.${rest[0]})`,
      }
    }
    if (rest.length === 0 && (e === 'true' || e === 'false' || e === 'null'))
      return {error: `unsupported expression "${e}" inside "\${}"; write the literal without quotes`}
    const hint = closest(root, ['var', 'network', 'container'])
    return {
      error: `unsupported reference "${e}": dockwall knows only var.NAME, network.NAME and container.NAME${hint ? `; did you mean ${hint}.${rest.join('.') || 'NAME'}?` : ''}`,
    }
  }
  if (/^[A-Za-z_][\w-]*(?:::[\w-]+)*\s*\(/.test(e)) {
    return {
      error: `unsupported expression "${e}": function calls are not supported; dockwall evaluates only references (var.NAME, network.NAME, container.NAME) and string interpolation`,
    }
  }
  if (/\[/.test(e) && TRAVERSAL_RE.test(e.replace(/\[[^\]]*\]/g, ''))) {
    return {error: `unsupported expression "${e}": indexing is not supported`}
  }
  return {
    error: `unsupported expression "${e}": operators, conditionals and for expressions are not supported; dockwall evaluates only references (var.NAME, network.NAME, container.NAME) and string interpolation`,
  }
}

function describeKind(kind: 'var' | RefKind): string {
  return kind === 'var' ? 'variable' : kind
}

/**
 * Evaluates one attribute value. Strings are templates; lists may mix references and
 * literals, and a list variable used as a whole item is spliced into the list.
 */
export function evaluate(raw: unknown, ctx: EvalContext, path: Path = []): EvalResult {
  const e = new Evaluation(ctx)
  const value = e.walk(raw, path)
  return {value, problems: e.problems, failed: e.failed}
}

class Evaluation {
  readonly problems: EvalProblem[] = []
  readonly failed: Path[] = []

  constructor(private readonly ctx: EvalContext) {}

  private fail(p: Path, message: string): undefined {
    this.problems.push({path: p, message})
    this.failed.push(p)
    return undefined
  }

  /** A value: strings are templates, lists and objects are walked item by item. */
  walk(v: unknown, p: Path): Value | undefined {
    if (typeof v === 'string') return this.template(v, p)
    if (v === null || typeof v === 'number' || typeof v === 'boolean') return v
    if (Array.isArray(v)) {
      const out: Value[] = []
      v.forEach((item, i) => {
        if (isPlain(item)) {
          out.push(item)
          return
        }
        const itemPath: PathSeg[] = [...p, i]
        const r = this.walk(item, itemPath)
        // A list variable used as a whole item is spliced: ports = [var.web_ports, 22].
        if (Array.isArray(r) && typeof item === 'string' && isWholeVar(item)) out.push(...r)
        else if (r !== undefined) out.push(r)
        else out.push(null) // keeps indexes stable; the path is in `failed`
      })
      return out
    }
    if (typeof v === 'object') {
      const out: {[key: string]: Value} = {}
      const o = v as Record<string, unknown>
      // Object.keys: no [key, value] pair to allocate per attribute of every body.
      for (const k of Object.keys(o)) {
        const item = o[k]
        // Most values are literals: no path to build for them.
        if (isPlain(item)) {
          out[k] = item
          continue
        }
        const r = this.walk(item, [...p, k])
        if (r !== undefined) out[k] = r
      }
      return out
    }
    return this.fail(p, `unexpected value of type ${typeof v}`)
  }

  /** A string: a lone `${ref}` is that value (a reference stays a Ref); otherwise interpolated text. */
  private template(s: string, p: Path): Value | undefined {
    if (!s.includes('${') && !s.includes('%{')) return s
    const parts = parseTemplate(s)
    if ('error' in parts) return this.fail(p, parts.error)
    const [only] = parts
    if (parts.length === 1 && only && 'expr' in only) {
      const ref = parseReference(only.expr)
      if ('error' in ref) return this.fail(p, ref.error)
      const v = this.resolve(ref, p)
      return v === null ? undefined : v
    }
    let out = ''
    let ok = true
    for (const part of parts) {
      if ('lit' in part) {
        out += part.lit
        continue
      }
      const text = this.interpolate(part.expr, p)
      if (text === undefined) ok = false
      else out += text
    }
    return ok ? out : undefined
  }

  /** The text of one `${...}` inside a longer string; undefined (reported) when it has none. */
  private interpolate(expr: string, p: Path): string | undefined {
    const ref = parseReference(expr)
    if ('error' in ref) return this.fail(p, ref.error)
    const v = this.resolve(ref, p)
    if (v === undefined || v === null) return undefined
    if (v instanceof Ref)
      return this.fail(
        p,
        `${v.kind}.${v.name} cannot be interpolated into a string: a ${v.kind} stands for addresses dockwall resolves later; use it as a whole value (${v.kind}.${v.name})`,
      )
    if (Array.isArray(v)) return this.fail(p, `var.${ref.name} is a list and cannot be interpolated into a string`)
    return String(v)
  }

  /** A variable's value (null: it has none, reported at the variable), or a reference to a declared block. */
  private resolve(ref: {kind: 'var' | RefKind; name: string}, p: Path): VarValue | Ref | undefined | null {
    const ctx = this.ctx
    if (ref.kind === 'var') {
      if (!ctx.vars.has(ref.name)) {
        const hint = closest(ref.name, ctx.vars.keys())
        return this.fail(
          p,
          `reference to undeclared variable var.${ref.name}${hint ? `; did you mean var.${hint}?` : ''}`,
        )
      }
      const v = ctx.vars.get(ref.name)
      if (v === undefined) {
        this.failed.push(p) // reported once, at the variable
        return null
      }
      return v
    }
    const declared = ref.kind === 'network' ? ctx.networks : ctx.containers
    if (!declared.has(ref.name)) {
      const hint = closest(ref.name, declared)
      return this.fail(
        p,
        `reference to undeclared ${describeKind(ref.kind)} ${ref.kind}.${ref.name}${hint ? `; did you mean ${ref.kind}.${hint}?` : ` (no ${ref.kind} block has the label "${ref.name}")`}`,
      )
    }
    return new Ref(ref.kind, ref.name)
  }
}

/** A literal that evaluates to itself: a number, boolean, null, or a string without "${" or "%{". */
function isPlain(v: unknown): v is string | number | boolean | null {
  if (typeof v === 'string') return !v.includes('${') && !v.includes('%{')
  return v === null || typeof v === 'number' || typeof v === 'boolean'
}

function isWholeVar(s: string): boolean {
  return /^\$\{\s*var\.[A-Za-z_][A-Za-z0-9_-]*\s*\}$/.test(s)
}

/** True when `path` equals or lies under one of `prefixes`. */
export function isUnder(path: Path, prefixes: readonly Path[]): boolean {
  return prefixes.some((pre) => pre.length <= path.length && pre.every((s, i) => path[i] === s))
}
