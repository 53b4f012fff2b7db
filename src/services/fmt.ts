// `dockwall fmt`: rewrites *.hcl files in the canonical layout (src/config/hcl/format.ts).
// A file is written only when it parses, its formatted text parses too, and both give
// the same JSON: formatting that would change the meaning is refused as a bug, never
// written. Writes are atomic and keep the file's mode.
import {readdir, readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {createTwoFilesPatch} from 'diff'
import writeFileAtomic from 'write-file-atomic'

import {syntaxDiagnostics} from '../config/hcl-file.js'
import {formatHcl} from '../config/hcl/format.js'
import {parseHcl} from '../config/hcl/parser.js'
import {bodyToJson} from '../config/hcl/to-json.js'
import {LineMap} from '../config/source.js'
import type {Diagnostic} from '../errors.js'

export interface FmtOptions {
  /** Files or directories; a directory means its *.hcl files. */
  paths: string[]
  recursive: boolean
  /** Write the formatted files (false: only report). */
  write: boolean
  /** Unified diffs of the changes. */
  diff: boolean
}

export interface FmtFile {
  file: string
  changed: boolean
  diff?: string
}

export interface FmtResult {
  files: FmtFile[]
  /** Files that could not be read or parsed, with positions. */
  diagnostics: Diagnostic[]
}

export async function fmt(opts: FmtOptions): Promise<FmtResult> {
  const files: FmtFile[] = []
  const diagnostics: Diagnostic[] = []
  for (const path of opts.paths) {
    let targets: string[]
    try {
      targets = (await stat(path)).isDirectory() ? await hclFiles(path, opts.recursive) : [path]
    } catch {
      diagnostics.push({severity: 'error', summary: `No file or directory at ${path}`})
      continue
    }
    for (const file of targets) {
      const r = await fmtFile(file, opts)
      if ('diagnostics' in r) diagnostics.push(...r.diagnostics)
      else files.push(r)
    }
  }
  return {files, diagnostics}
}

async function hclFiles(dir: string, recursive: boolean): Promise<string[]> {
  const entries = (await readdir(dir, {withFileTypes: true})).sort((a, b) => (a.name < b.name ? -1 : 1))
  const out: string[] = []
  for (const e of entries) {
    // Dotfiles and dot-directories are editor backups, VCS data and tool caches.
    if (e.name.startsWith('.')) continue
    const path = join(dir, e.name)
    if (e.isDirectory()) {
      if (recursive && e.name !== 'node_modules') out.push(...(await hclFiles(path, true)))
    } else if (e.isFile() && e.name.endsWith('.hcl')) out.push(path)
  }
  return out
}

async function fmtFile(file: string, opts: FmtOptions): Promise<FmtFile | {diagnostics: Diagnostic[]}> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    return {diagnostics: [{severity: 'error', summary: `cannot read ${file}: ${(e as Error).message}`}]}
  }
  const before = meaning(text)
  if ('errors' in before) {
    const lines = new LineMap(text)
    const diags = syntaxDiagnostics(file, before.errors, lines)
    for (const d of diags) if (d.at) d.source = lines.lineText(d.at.line) ?? ''
    return {diagnostics: diags}
  }
  const formatted = formatHcl(text)
  const after = meaning(formatted)
  if ('errors' in after || after.json !== before.json)
    return {
      diagnostics: [
        {
          severity: 'error',
          summary: `${file}: formatting would change its meaning; the file was left as it is (a bug in dockwall fmt, please report it)`,
        },
      ],
    }
  const changed = formatted !== text
  if (changed && opts.write) await writeFileAtomic(file, formatted)
  return {
    file,
    changed,
    ...(changed && opts.diff ? {diff: unifiedDiff(file, text, formatted)} : {}),
  }
}

/**
 * The file's JSON form, as text: two texts mean the same when these are equal. An
 * expression dockwall keeps as source text ("${var.a + 1}") is compared without the
 * space between its tokens, which is all fmt changes there (strings are never touched).
 */
function meaning(text: string): {json: string} | {errors: ReturnType<typeof parseHcl>['errors']} {
  const r = parseHcl(text)
  const errors = [...r.errors]
  const json = bodyToJson(text, r.body, errors)
  if (errors.length > 0) return {errors}
  return {json: JSON.stringify(json, (_, v: unknown) => (typeof v === 'string' && v.startsWith('${') ? squeeze(v) : v))}
}

/** Removes white space outside double-quoted strings. */
function squeeze(expr: string): string {
  let out = ''
  let quoted = false
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!
    if (quoted) {
      out += c
      if (c === '\\') out += expr[++i] ?? ''
      else if (c === '"') quoted = false
    } else if (c === '"') {
      quoted = true
      out += c
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') out += c
  }
  return out
}

/** `--- old/FILE` / `+++ new/FILE` and the hunks, as terraform fmt -diff prints them. */
function unifiedDiff(file: string, before: string, after: string): string {
  const name = file.replace(/^\/+/, '')
  return createTwoFilesPatch(`old/${name}`, `new/${name}`, before, after, undefined, undefined, {context: 3})
    .replace(/^={3,}\n/, '')
    .replace(/\t\n/g, '\n')
}
