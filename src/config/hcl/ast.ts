// The syntax tree of an HCL file, as dockwall's own parser (parser.ts) builds it. Every
// node carries the offsets [start, end) of its source text, so any attribute, label,
// list item or object key can be pointed at (`main.hcl:14:12`), and an expression
// dockwall does not evaluate can be kept as its exact source text ("${...}" in the JSON
// form, as hcl2-parser writes it).

export interface Span {
  /** Offset of the first character (UTF-16 code units). */
  start: number
  /** Offset just after the last character. */
  end: number
}

export interface Body extends Span {
  items: Array<Attribute | Block>
}

export interface Attribute extends Span {
  kind: 'attribute'
  name: string
  nameSpan: Span
  expr: Expr
}

export interface Label extends Span {
  value: string
  quoted: boolean
}

export interface Block extends Span {
  kind: 'block'
  type: string
  typeSpan: Span
  labels: Label[]
  body: Body
}

/** One piece of a template: literal text, an interpolation `${expr}`, or a directive `%{...}` (kept as text). */
export type TemplatePart =
  | ({kind: 'literal'; value: string} & Span)
  | ({kind: 'interp'; expr: Expr} & Span)
  | ({kind: 'directive'; source: string} & Span)

export interface ObjectItem extends Span {
  key: Expr
  value: Expr
}

/**
 * Expressions, in the kinds the JSON conversion distinguishes (HCL's own node kinds,
 * folded: any expression kind dockwall keeps as text is `other`).
 */
export type Expr =
  | ({kind: 'number'; value: number; raw: string} & Span)
  | ({kind: 'bool'; value: boolean} & Span)
  | ({kind: 'null'} & Span)
  | ({kind: 'template'; parts: TemplatePart[]; heredoc: boolean} & Span)
  | ({kind: 'tuple'; items: Expr[]} & Span)
  | ({kind: 'object'; items: ObjectItem[]} & Span)
  /** `a.b.c`: a root name and attribute steps only (no index, no splat). */
  | ({kind: 'traversal'; names: string[]} & Span)
  | ({kind: 'unary'; op: '-' | '!'; operand: Expr} & Span)
  /** Anything else: operators, calls, conditionals, for expressions, indexes, parentheses. */
  | ({kind: 'other'} & Span)

export interface SyntaxError extends Span {
  summary: string
  detail?: string
}
