// HCL files: hcl2-parser turns the text into JSON; the scanner adds positions.
// hcl2-parser says nothing useful about syntax errors (it returns an empty object),
// so on failure the same text goes through @cdktf/hcl2json, which parses the same
// grammar and reports `file:line,col-line,col: Summary; Detail.`
//
// Both parsers are imported only here, lazily: hcl2-parser costs 0.35 s to import,
// so a configuration of .hcl.json files, or a cache hit, never loads it.
import {createRequire} from 'node:module'

import type {Diagnostic} from '../errors.js'
import {type ParseCache, sha256} from './cache.js'
import type {ParsedFile} from './parsed.js'
import {scanHcl} from './scan-hcl.js'
import {PositionIndex} from './source.js'

interface Hcl2Parser {
  parseToObject(input: string): [unknown, unknown]
}

let parserPromise: Promise<Hcl2Parser> | undefined

function hcl2Parser(): Promise<Hcl2Parser> {
  // hcl2-parser is CommonJS (GopherJS output): its functions sit on the default export.
  // require(), not import(): for a CommonJS module import() first scans its 3.8 MB source for
  // named exports, which took 0.49-0.91 s here against 0.28-0.43 s for require (npm run bench).
  parserPromise ??= Promise.resolve().then(() => {
    const mod = createRequire(import.meta.url)('hcl2-parser') as {default?: Hcl2Parser} & Partial<Hcl2Parser>
    const p = mod.parseToObject ? (mod as Hcl2Parser) : mod.default
    if (!p?.parseToObject) throw new Error('hcl2-parser has no parseToObject export')
    return p
  })
  return parserPromise
}

export async function parseHclFile(
  file: string,
  text: string,
  cache?: ParseCache,
): Promise<{parsed?: ParsedFile; diagnostics: Diagnostic[]}> {
  const hash = cache ? sha256(text) : ''
  const hit = cache ? await cache.get(hash) : undefined
  if (hit)
    return {
      parsed: {file, format: 'hcl', body: hit.body, positions: PositionIndex.fromEntries(file, hit.positions)},
      diagnostics: [],
    }

  let body: Record<string, unknown> | undefined
  try {
    const [obj, err] = (await hcl2Parser()).parseToObject(text)
    if (err == null && typeof obj === 'object' && obj !== null && !Array.isArray(obj))
      body = obj as Record<string, unknown>
  } catch {
    // A GopherJS panic is a parse failure too; hcl2json explains it below.
  }
  if (!body) return {diagnostics: await syntaxDiagnostics(file, text)}

  const positions = new PositionIndex(file, scanHcl(text))
  if (cache) await cache.put(hash, {body, positions: positions.toEntries()})
  return {parsed: {file, format: 'hcl', body, positions}, diagnostics: []}
}

/** Runs @cdktf/hcl2json on text hcl2-parser rejected, for positions and messages. */
export async function syntaxDiagnostics(file: string, text: string): Promise<Diagnostic[]> {
  let message = ''
  try {
    const {parse} = await import('@cdktf/hcl2json')
    await parse(file, text)
  } catch (e) {
    message = e instanceof Error ? e.message : String(e)
    const diags = parseHcl2JsonError(file, message)
    if (diags.length > 0) return diags
  }
  // Valid syntax that the HCL-to-JSON conversion cannot express, reported without a position.
  const mixed = /invalid HCL detected for "([^"]+)" block, cannot have blocks with and without labels/.exec(message)
  if (mixed) {
    const type = mixed[1]!
    const pos = scanHcl(text).get(`${type}[0]`) ?? {line: 1, column: 1}
    return [
      {
        severity: 'error',
        summary: `this ${type} block has no label, but other ${type} blocks have one; write ${type} "NAME" { ... }`,
        at: {file, ...pos},
      },
    ]
  }
  const detail = message.replace(/^(Error: )?(parse config|convert to HCL): /, '')
  return [
    {
      severity: 'error',
      summary: `Invalid configuration${detail ? `: ${detail}` : ' (the HCL parser gave no position)'}`,
      at: {file, line: 1, column: 1},
    },
  ]
}

/**
 * Splits hcl2json's message into diagnostics. Its shape is
 * `parse config: [FILE:3,6-4,1: Summary; Detail. FILE:5,1-2: Summary; Detail.]`:
 * several diagnostics run together, so split where the file name starts one.
 */
export function parseHcl2JsonError(file: string, message: string): Diagnostic[] {
  const body = message.replace(/^(Error: )?parse config: \[/, '').replace(/\]\s*$/, '')
  const esc = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const re = new RegExp(`(?:^|\\s)${esc}:(\\d+),(\\d+)(?:-\\d+(?:,\\d+)?)?: `, 'g')
  const starts: Array<{index: number; end: number; line: number; column: number}> = []
  for (const m of body.matchAll(re))
    starts.push({index: m.index, end: m.index + m[0].length, line: Number(m[1]), column: Number(m[2])})
  const out: Diagnostic[] = []
  const seen = new Set<string>()
  starts.forEach((s, i) => {
    const text = body.slice(s.end, i + 1 < starts.length ? starts[i + 1]!.index : undefined).trim()
    const semi = text.indexOf('; ')
    const summary = semi < 0 ? text.replace(/\.$/, '') : text.slice(0, semi)
    const detail = semi < 0 ? undefined : text.slice(semi + 2)
    const key = `${s.line}:${s.column}:${summary}`
    if (seen.has(key)) return
    seen.add(key)
    out.push({severity: 'error', summary, ...(detail ? {detail} : {}), at: {file, line: s.line, column: s.column}})
  })
  return out
}
