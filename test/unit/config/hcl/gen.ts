// Generated HCL configurations for property tests (the parser against the hcl2-parser
// oracle, and fmt): blocks with and without labels, every literal kind, escapes,
// interpolations, references, operators, calls, lists and objects spread over lines,
// comments in the places they can go, and uneven spacing for fmt to straighten.
import fc from 'fast-check'

const ident = fc.constantFrom('a', 'b', 'name', 'port', 'subnet', 'x_y', 'with-dash', 'z9')
const blockType = fc.constantFrom('rule', 'network', 'container', 'route', 'firewall', 'thing')
const space = fc.constantFrom(' ', ' ', '  ', '\t')

const stringChar = fc.oneof(
  {weight: 8, arbitrary: fc.constantFrom('a', 'b', 'Z', '0', ' ', '-', '.', '/', ':', '{', '}', '$', '%', 'é', '→')},
  {weight: 1, arbitrary: fc.constantFrom('\\n', '\\t', '\\"', '\\\\', '\\u00e9', '\\U0001F600')},
)
const interp = fc.constantFrom('${var.a}', '${ var.b }', '${network.x}', '${1}', '${"s"}')
const quoted = fc
  .array(fc.oneof({weight: 6, arbitrary: stringChar}, {weight: 1, arbitrary: interp}), {maxLength: 12})
  // "$" then "{" from two parts would make an interpolation: keep them apart.
  .map(
    (parts) => `"${parts.reduce((acc, p) => (/[$%]$/.test(acc) && /^[{$%]/.test(p) ? `${acc} ${p}` : acc + p), '')}"`,
  )

const number = fc.oneof(
  fc.integer({min: 0, max: 100000}).map(String),
  fc.constantFrom('1.5', '0.25', '1e3', '2E-2', '10.0', '007', '65535'),
)
const literal = fc.oneof(
  {weight: 4, arbitrary: quoted},
  {weight: 3, arbitrary: number},
  {weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null')},
  {weight: 1, arbitrary: number.map((n) => `-${n}`)},
  {weight: 1, arbitrary: fc.constantFrom('!true', '-var.a')},
)
const reference = fc.constantFrom('var.a', 'network.front', 'container.lb', 'var.a[0]', 'a.b.c', 'x[*].y')
const operation = fc.constantFrom(
  'var.base + 10',
  'upper("web")',
  'a ? 1 : 2',
  '(1)',
  'f(1, "x", [2])',
  '[for v in var.l: v]',
  '{for k, v in var.m : k => v}',
  'a == b && !c',
)

export const expression: fc.Arbitrary<string> = fc.letrec<{expr: string}>((tie) => ({
  expr: fc.oneof(
    {depthSize: 'small', withCrossShrink: true},
    {weight: 6, arbitrary: literal},
    {weight: 2, arbitrary: reference},
    {weight: 1, arbitrary: operation},
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.array(tie('expr'), {maxLength: 4}), fc.boolean(), fc.boolean())
        .map(([items, multiline, trailing]) =>
          multiline
            ? `[\n${items.map((i) => `    ${i},`).join('\n')}\n  ]`
            : `[${items.join(', ')}${trailing && items.length > 0 ? ',' : ''}]`,
        ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.uniqueArray(fc.tuple(fc.oneof(ident, quoted), tie('expr')), {
            maxLength: 3,
            selector: ([k]) => k.replace(/"/g, ''),
          }),
          fc.boolean(),
        )
        .map(([items, multiline]) =>
          multiline
            ? `{\n${items.map(([k, v]) => `    ${k} = ${v}`).join('\n')}\n  }`
            : `{ ${items.map(([k, v]) => `${k} = ${v}`).join(', ')} }`,
        ),
    },
  ),
})).expr

const comment = fc.constantFrom('# a comment', '// another', '/* block */')

export interface GenOptions {
  /** Also heredocs (hcl2-parser needs a newline after the closing marker, which generated files always have). */
  heredocs?: boolean
}

const heredoc = fc
  .tuple(fc.boolean(), fc.array(fc.constantFrom('line one', '  indented ${var.a}', '', 'x = "y"'), {maxLength: 3}))
  .map(
    ([flush, lines]) =>
      `<<${flush ? '-' : ''}EOT\n${lines.map((l) => (flush ? `    ${l}` : l)).join('\n')}${lines.length > 0 ? '\n' : ''}${flush ? '  ' : ''}EOT`,
  )

function attributes(opts: GenOptions): fc.Arbitrary<string[]> {
  const value = opts.heredocs
    ? fc.oneof({weight: 8, arbitrary: expression}, {weight: 1, arbitrary: heredoc})
    : expression
  return fc
    .uniqueArray(fc.tuple(ident, space, space, value, fc.option(comment, {freq: 6})), {
      maxLength: 5,
      selector: ([name]) => name,
    })
    .map((attrs) =>
      // A heredoc's closing marker stands alone on its line: no comment after it.
      attrs.map(([n, s1, s2, v, c]) => `${n}${s1}=${s2}${v}${c && !v.startsWith('<<') ? ` ${c}` : ''}`),
    )
}

/** One HCL file: top-level attributes (rarely) and blocks, nested one level. */
export function hclFile(opts: GenOptions = {}): fc.Arbitrary<string> {
  const innerBlock = fc
    .tuple(
      fc.constantFrom('network', 'route', 'inner'),
      fc.option(fc.constantFrom('"x"', '"y"', 'bare')),
      attributes(opts),
    )
    .map(([type, label, attrs]) => ({type, label, attrs}))
  const block = fc
    .tuple(
      blockType,
      fc.option(fc.constantFrom('"a"', '"b"', '"web_1"', 'bare')),
      attributes(opts),
      fc.array(innerBlock, {maxLength: 2}),
      fc.option(comment, {freq: 3}),
    )
    .map(([type, label, attrs, inner, c]) => ({type, label, attrs, inner, c}))
  return fc.array(block, {maxLength: 5}).map((blocks) => {
    // hcl2-parser's JSON cannot hold two blocks of one type with different label counts:
    // give every block of a type the first one's label count (also for nested blocks).
    const labeled = new Map<string, boolean>()
    const labelFor = (key: string, label: string | null): string | null => {
      if (!labeled.has(key)) labeled.set(key, label !== null)
      return labeled.get(key) ? (label ?? '"a"') : null
    }
    const out: string[] = []
    blocks.forEach((b, bi) => {
      const label = labelFor(b.type, b.label)
      if (b.c) out.push(b.c)
      const body: string[] = b.attrs.map((a) => `  ${a}`)
      // Nested block types must not clash with attribute names.
      const attrNames = new Set(b.attrs.map((a) => a.split(/[ \t=]/)[0]))
      b.inner.forEach((ib) => {
        if (attrNames.has(ib.type)) return
        const il = labelFor(`${bi}.${ib.type}`, ib.label)
        body.push(`  ${ib.type}${il ? ` ${il}` : ''} {`, ...ib.attrs.map((a) => `    ${a}`), '  }')
      })
      out.push(`${b.type}${label ? ` ${label}` : ''} {`, ...body, '}', '')
    })
    return out.join('\n')
  })
}
