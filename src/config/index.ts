// Public entry of the configuration loader: files → parse → merge → variables →
// evaluate and check each block → cross-block checks → DesiredModel. Every step
// collects diagnostics instead of stopping at the first; only a syntax error stops
// the load (the rest would be guesses about a file that could not be read).
import {readFile} from 'node:fs/promises'
import {resolve} from 'node:path'

import type {Diagnostic} from '../errors.js'
import type {DesiredModel, FirewallSpec} from '../model/types.js'
import {buildSpecs} from './build.js'
import {crossChecks} from './checks.js'
import {type Block, collectBlocks} from './collect.js'
import type {EvalContext} from './expressions.js'
import {type ConfigFile, discoverFiles, formatOf} from './files.js'
import {parseHclFile} from './hcl-file.js'
import {check} from './issues.js'
import {parseJsonFile} from './json-file.js'
import type {ParsedFile} from './parsed.js'
import {variableSchema} from './schema.js'
import {LineMap} from './source.js'
import {type VarFileValues, type VarType, type VariableDecl, resolveVariables} from './variables.js'

export interface LoadOptions {
  /** Directory or file (`-c/--config`). */
  path: string
  /** `--var NAME=VALUE` entries, in command-line order. */
  vars?: string[]
  /** `--var-file FILE` paths. */
  varFiles?: string[]
  /** Environment to read DOCKWALL_VAR_* from; defaults to process.env. */
  env?: Record<string, string | undefined>
}

export interface LoadResult {
  /** Present when there are no errors (warnings may exist). */
  model?: DesiredModel
  /** Errors and warnings, sorted by file (load order), line and column; those without a position first. */
  diagnostics: Diagnostic[]
}

const DEFAULT_STATE_FILE = 'dockwall.state.json'

export const DEFAULT_FIREWALL: FirewallSpec = {forwardPolicy: 'docker', inputPolicy: 'accept', sshPort: 22}

export async function loadConfig(opts: LoadOptions): Promise<LoadResult> {
  const found = await discoverFiles(opts.path)
  if ('diagnostic' in found) return {diagnostics: [found.diagnostic]}
  const fileOrder = found.files.map((f) => f.file)

  const texts = new Map<string, string>()
  const results = await Promise.all(found.files.map((f) => parseFile(f, texts)))
  const syntax = results.flatMap((r) => r.diagnostics)
  if (syntax.some((d) => d.severity === 'error'))
    return {diagnostics: withSources(sortDiagnostics(syntax, fileOrder), texts)}
  const parsed = results.map((r) => r.parsed!)

  const diagnostics: Diagnostic[] = []
  const {blocks, diagnostics: structural} = collectBlocks(parsed)
  diagnostics.push(...structural)

  const varFiles: VarFileValues[] = []
  for (const path of opts.varFiles ?? []) {
    const r = await readVarFile(path, texts)
    diagnostics.push(...r.diagnostics)
    if (r.values) varFiles.push(r.values)
  }
  const decls = variableDecls(blocks, diagnostics)
  const vars = resolveVariables(decls, {env: opts.env ?? process.env, varFiles, cliVars: opts.vars ?? []})
  diagnostics.push(...vars.diagnostics)

  const labelsOf = (type: Block['type']): Set<string> =>
    new Set(blocks.filter((b) => b.type === type).map((b) => b.label!))
  const labels = {networks: labelsOf('network'), containers: labelsOf('container')}
  const evalCtx: EvalContext = {vars: vars.values, ...labels}

  const {built, diagnostics: blockDiags} = buildSpecs(blocks, {configDir: found.configDir, evalCtx, labels})
  diagnostics.push(...blockDiags)
  // The addresses an import may target: a set of every block's, built only for imports.
  const declared = built.imports.length > 0 ? declaredAddresses(blocks) : new Set<string>()
  diagnostics.push(...crossChecks(built, declared, fileOrder))

  const sorted = withSources(sortDiagnostics(diagnostics, [...fileOrder, ...(opts.varFiles ?? [])]), texts)
  if (sorted.some((d) => d.severity === 'error')) return {diagnostics: sorted}

  const byAddress = <T extends {address: string}>(xs: T[]): T[] => [...xs].sort((a, b) => compare(a.address, b.address))
  const model: DesiredModel = {
    settings: built.settings ?? {backend: 'auto', statePath: resolve(found.configDir, DEFAULT_STATE_FILE)},
    networks: byAddress(built.networks),
    containers: byAddress(built.containers).map((c) => ({
      ...c,
      attachments: byAddress(c.attachments),
      routes: byAddress(c.routes),
    })),
    rules: byAddress(built.rules),
    portForwards: byAddress(built.portForwards),
    masquerades: byAddress(built.masquerades),
    asserts: byAddress(built.asserts),
    firewall: built.firewall ?? DEFAULT_FIREWALL,
    imports: built.imports.map(({raw: _raw, ...imp}) => imp),
    files: fileOrder,
  }
  return {model, diagnostics: sorted}
}

async function parseFile(
  f: ConfigFile,
  texts: Map<string, string>,
): Promise<{parsed?: ParsedFile; diagnostics: Diagnostic[]}> {
  let text: string
  try {
    text = await readFile(f.file, 'utf8')
    texts.set(f.file, text)
  } catch (e) {
    return {diagnostics: [{severity: 'error', summary: `cannot read ${f.file}: ${(e as Error).message}`}]}
  }
  return f.format === 'hcl' ? parseHclFile(f.file, text) : parseJsonFile(f.file, text)
}

/** A --var-file: HCL or JSON (by extension: .json is JSON) of NAME = VALUE pairs. */
async function readVarFile(
  path: string,
  texts: Map<string, string>,
): Promise<{values?: VarFileValues; diagnostics: Diagnostic[]}> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
    texts.set(path, text)
  } catch (e) {
    return {diagnostics: [{severity: 'error', summary: `cannot read --var-file ${path}: ${(e as Error).message}`}]}
  }
  const isJson = path.endsWith('.json') || formatOf(path) === 'json'
  const r = isJson ? parseJsonFile(path, text) : parseHclFile(path, text)
  if (!r.parsed) return {diagnostics: r.diagnostics}
  const positions = r.parsed.positions
  return {
    values: {file: path, values: r.parsed.body, at: (name) => positions.locateName([name])},
    diagnostics: r.diagnostics,
  }
}

/** Variable blocks → declarations. Defaults must be literals: a variable cannot depend on another. */
function variableDecls(blocks: readonly Block[], diagnostics: Diagnostic[]): VariableDecl[] {
  const decls: VariableDecl[] = []
  for (const b of blocks) {
    if (b.type !== 'variable') continue
    const at = b.src.positions.locate(b.path)
    const body = {...b.body}
    // `type = string` (unquoted, as in Terraform) arrives as "${string}".
    if (typeof body.type === 'string') body.type = body.type.replace(/^\$\{\s*(\w+)\s*\}$/, '$1')
    const r = check(variableSchema, body, Object.keys(variableSchema.shape))
    for (const p of r.problems)
      diagnostics.push({
        severity: 'error',
        summary: p.message,
        at: p.onName
          ? b.src.positions.locateName([...b.path, ...p.path])
          : b.src.positions.locate([...b.path, ...p.path]),
        address: b.address,
      })
    const defaultAt = b.src.positions.locate([...b.path, 'default'])
    if (containsExpression(body.default)) {
      diagnostics.push({
        severity: 'error',
        summary: 'a variable default must be a literal value (no references or "${...}")',
        at: defaultAt,
        address: b.address,
      })
      continue
    }
    if (!r.data) continue
    decls.push({
      name: b.label!,
      ...(r.data.type !== undefined ? {type: r.data.type as VarType} : {}),
      ...(r.data.default !== undefined ? {default: r.data.default} : {}),
      ...(r.data.description !== undefined ? {description: r.data.description} : {}),
      at,
      ...(b.body.default !== undefined ? {defaultAt} : {}),
      address: b.address,
    })
  }
  return decls
}

function containsExpression(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('${') || v.includes('%{')
  if (Array.isArray(v)) return v.some(containsExpression)
  if (typeof v === 'object' && v !== null) return Object.values(v).some(containsExpression)
  return false
}

/** Every address an import may target: the labeled resources and the containers' attachments. */
function declaredAddresses(blocks: readonly Block[]): Set<string> {
  const out = new Set<string>()
  for (const b of blocks) {
    if (b.label === undefined || b.type === 'variable') continue
    out.add(b.address)
    const nets = b.type === 'container' ? b.body.network : undefined
    if (typeof nets === 'object' && nets !== null && !Array.isArray(nets))
      for (const l of Object.keys(nets)) out.add(`${b.address}.network.${l}`)
  }
  return out
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Adds the quoted source line to each diagnostic with a position in one of `texts`. */
function withSources(diags: Diagnostic[], texts: ReadonlyMap<string, string>): Diagnostic[] {
  const maps = new Map<string, LineMap>()
  for (const d of diags) {
    if (!d.at || d.source !== undefined) continue
    const text = texts.get(d.at.file)
    if (text === undefined) continue
    let lines = maps.get(d.at.file)
    if (!lines) maps.set(d.at.file, (lines = new LineMap(text)))
    const source = lines.lineText(d.at.line)
    if (source !== undefined) d.source = source
  }
  return diags
}

export function sortDiagnostics(diags: readonly Diagnostic[], fileOrder: readonly string[]): Diagnostic[] {
  const rank = (d: Diagnostic): number => (d.at ? fileOrder.indexOf(d.at.file) + 1 || fileOrder.length + 1 : 0)
  return [...diags].sort(
    (a, b) => rank(a) - rank(b) || (a.at?.line ?? 0) - (b.at?.line ?? 0) || (a.at?.column ?? 0) - (b.at?.column ?? 0),
  )
}
