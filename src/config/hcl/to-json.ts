// The syntax tree as the JSON form of the configuration: the JSON hcl2-parser gives for
// the same text (the loader's input for both formats, and the test oracle), with one
// deliberate difference: a literal `${` written `$${` stays `$${` (hcl2-parser drops the
// escape, and the loader would then evaluate it as an expression).
//
//   blocks        {type: {label: [body, ...]}} or {type: [body, ...]}; attributes first
//   literals      numbers, booleans, null and strings as themselves; `-5`, `!true` folded
//   templates     literal text plus "${expr}" for each interpolation ("${var.x}" alone
//                 gives the expression itself: "${1}" is the number 1)
//   anything else "${source text}"
//
// Keys keep the order they were written in (hcl2-parser sorts them; the loader does not care).
import type {Attribute, Block, Body, Expr, Span, SyntaxError, TemplatePart} from './ast.js'

export type Json = string | number | boolean | null | Json[] | {[key: string]: Json}
export type JsonObject = {[key: string]: Json}

export function bodyToJson(src: string, body: Body, errors: SyntaxError[]): JsonObject {
  return new Converter(src, errors).body(body)
}

export class Converter {
  constructor(
    private readonly src: string,
    private readonly errors: SyntaxError[],
  ) {}

  body(b: Body): JsonObject {
    const out: JsonObject = {}
    for (const item of b.items) this.item(item, out)
    return out
  }

  /** Adds one attribute or block to `out` (items arrive in source order, one at a time). */
  item(item: Attribute | Block, out: JsonObject): void {
    if (item.kind === 'block') {
      this.block(item, out)
      return
    }
    // The parser already reported an attribute set twice: here `out` can only hold a block of that name.
    if (Object.hasOwn(out, item.name)) {
      this.errors.push({
        start: item.nameSpan.start,
        end: item.nameSpan.end,
        summary: `"${item.name}" is both an argument and a block here`,
        detail: 'A name is either an argument (name = value) or a block type (name { ... }), not both.',
      })
      return
    }
    out[item.name] = this.expr(item.expr)
  }

  private block(b: Block, root: JsonObject): void {
    let out = root
    let key = b.type
    for (const label of b.labels) {
      const inner = Object.hasOwn(out, key) ? out[key] : undefined
      if (inner === undefined) {
        const obj: JsonObject = {}
        out[key] = obj
        out = obj
      } else if (typeof inner === 'object' && inner !== null && !Array.isArray(inner)) {
        out = inner
      } else {
        this.conflict(b, b)
        return
      }
      key = label.value
    }
    const value = this.body(b.body)
    const current = Object.hasOwn(out, key) ? out[key] : undefined
    if (current === undefined) out[key] = [value]
    else if (Array.isArray(current)) current.push(value)
    else this.conflict(b, b)
  }

  private conflict(b: Block, at: Span): void {
    if (b.labels.length === 0) {
      this.errors.push({
        ...at,
        summary: `this ${b.type} block has no label, but other ${b.type} blocks have one; write ${b.type} "NAME" { ... }`,
      })
      return
    }
    const what =
      b.labels.length === 0 ? 'has no label' : `has ${b.labels.length} label${b.labels.length === 1 ? '' : 's'}`
    this.errors.push({
      ...at,
      summary: `this ${b.type} block ${what}, but another ${b.type} block or argument here does not match it`,
      detail: `Blocks of one type take the same number of labels (write ${b.type} "NAME" { ... } for a labeled block), and a block cannot share its name with an argument.`,
    })
  }

  expr(e: Expr): Json {
    switch (e.kind) {
      case 'number':
      case 'bool':
        return e.value
      case 'null':
        return null
      case 'unary':
        return this.unary(e)
      case 'template':
        return this.template(e)
      case 'tuple':
        return e.items.map((i) => this.expr(i))
      case 'object': {
        const out: JsonObject = {}
        for (const item of e.items) out[this.key(item.key)] = this.expr(item.value)
        return out
      }
      default:
        return this.wrap(e)
    }
  }

  private unary(e: Expr & {kind: 'unary'}): Json {
    const v = e.operand
    // JSON has no -0.
    if (e.op === '-' && v.kind === 'number') return v.value === 0 ? 0 : -v.value
    if (e.op === '!' && v.kind === 'bool') return !v.value
    // hcl2-parser evaluates an operator on a literal; one that makes no sense is kept as text.
    return this.wrap(e)
  }

  private wrap(e: Span): string {
    return `\${${this.src.slice(e.start, e.end)}}`
  }

  private template(e: Expr & {kind: 'template'}): Json {
    const [only] = e.parts
    // "${expr}" alone is the expression itself (hcl2-parser's TemplateWrapExpr).
    if (e.parts.length === 1 && only?.kind === 'interp' && !e.heredoc) return this.expr(only.expr)
    let out = ''
    for (const p of e.parts) out += this.part(p)
    return out
  }

  private part(p: TemplatePart): string {
    if (p.kind === 'literal') return escapeTemplate(p.value)
    if (p.kind === 'directive') return p.source
    return this.stringPart(p.expr)
  }

  private stringPart(e: Expr): string {
    switch (e.kind) {
      case 'number':
      case 'bool':
        return String(e.value)
      case 'template': {
        const [only] = e.parts
        if (e.parts.length === 1 && only?.kind === 'interp' && !e.heredoc) return this.stringPart(only.expr)
        let out = ''
        for (const p of e.parts) out += this.part(p)
        return out
      }
      default:
        return this.wrap(e)
    }
  }

  private key(k: Expr): string {
    if (k.kind === 'traversal') return this.src.slice(k.start, k.end)
    if (k.kind === 'null') return 'null'
    return this.stringPart(k)
  }
}

/** A literal `${` or `%{` in template text is written `$${` / `%%{` in the JSON form, as in Terraform's. */
function escapeTemplate(s: string): string {
  if (!s.includes('{')) return s
  return s.replace(/([$%])\{/g, '$1$1{')
}
