// Runs iptables-save / iptables-restore for one (namespace, backend, family), through
// src/util/exec.ts (execa, argument arrays, `nsenter` prefix from the NetnsTarget).
//
// Facts this relies on (iptables 1.8.9, checked here):
// - `iptables-{nft,legacy}-restore` take `-w`, `-w SECS` and `--wait=SECS`; the legacy
//   one waits for /run/xtables.lock (without -w it blocks indefinitely), gives up after
//   SECS with exit status 4; the nft one accepts and ignores the flag (nf_tables needs
//   no lock). The save commands take neither (`invalid option -- 'w'`).
// - Exit status 4 (RESOURCE_PROBLEM) also comes from iptables-nft-restore when the
//   kernel refuses the transaction (`CHAIN_DEL failed (Device or resource busy)`).
// - One restore with several tables commits each table at its `COMMIT`: a failure in
//   a later table leaves earlier ones committed; within a table everything rolls back.
// - `iptables-legacy-save -t TABLE` creates TABLE in the namespace when it did not
//   exist: we only ask it for tables listed in /proc/net/ip_tables_names.
// - `iptables-nft-save -t TABLE` prints an empty table for one that does not exist,
//   without creating it.
// - The legacy restore rejects input whose final `COMMIT` has no newline.
import type {Backend} from '../model/types.js'
import {ExternalError} from '../errors.js'
import {type NetnsTarget, run as defaultRun, type RunOptions, type RunResult} from '../util/exec.js'
import {legacyTableNames} from './backend.js'
import {iptablesProgram, type IptablesProgram} from './commands.js'
import {IptablesRestoreError, IptablesResourceError, type RestoreErrorDetails} from './errors.js'
import {validateTableName} from './names.js'
import {INCOMPATIBLE, parseRuleset} from './parse.js'
import type {Family, Ruleset} from './types.js'

export type Exec = (file: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>

export interface IptablesRunnerOptions {
  netns?: NetnsTarget
  backend: Backend
  family: Family
  /** Seconds restore waits for the xtables lock (`--wait=SECS`). Default 10. */
  lockWaitSeconds?: number
  /** Extra environment (e.g. XTABLES_LOCKFILE in tests). */
  env?: Record<string, string>
  /** Replaces src/util/exec.ts's run (unit tests). */
  exec?: Exec
}

export interface SaveOptions {
  /**
   * `full`: one save of every table, then keep (and parse) the ones asked for.
   * `per-table`: one `-t TABLE` save per table, run in parallel. Default: `-t` for a
   * single table, one full save for more. Measured with test/bench/netfilter.ts (nft,
   * iptables 1.8.9, 2 CPUs): 10,000 filter + 10,000 nat rules, full save 0.21 s, `-t
   * filter` alone 0.18 s, two parallel `-t` saves 0.19-0.41 s; with 20,000 more rules in
   * mangle, full 0.49 s, `-t filter` alone 0.43 s, two `-t` saves 0.42 s. A `-t` save
   * still pays for fetching the other tables, so splitting only saves printing them,
   * and two processes lose to one when the CPUs are busy.
   */
  strategy?: 'full' | 'per-table'
  /** Ask for counters (`-c`). */
  counters?: boolean
  /** Parse only these chains' rules (see ParseOptions.chains); save() only. */
  chains?: (table: string, chain: string) => boolean
}

export interface RestoreOptions {
  /** `--noflush` (default true): only declared user chains are flushed, other chains keep their rules. */
  noflush?: boolean
  /** `--test`: parse and check, commit nothing. */
  test?: boolean
  /** `--counters`: set the `[p:b]` counters given in the input. */
  counters?: boolean
}

/** One table's part of restore input. */
export interface RestoreSection {
  table: string
  /** The section's text, `*table` through `COMMIT`, newline-terminated. */
  text: string
  /** 1-based line numbers of `*table` and `COMMIT` in the whole input. */
  startLine: number
  endLine: number
}

/**
 * Splits restore input into one section per table, so a caller can run one
 * transaction per table and know exactly what was committed. Lines outside a
 * table (comments, blanks) are dropped.
 */
export function splitRestoreInput(input: string): RestoreSection[] {
  const sections: RestoreSection[] = []
  let cur: {table: string; lines: string[]; startLine: number} | undefined
  const lines = input.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (!cur) {
      if (line.startsWith('*')) cur = {table: line.slice(1).trim(), lines: [line], startLine: i + 1}
      else if (line.trim() !== '' && !line.startsWith('#'))
        throw new Error(`restore input line ${i + 1} is outside a table: ${line}`)
      continue
    }
    cur.lines.push(line)
    if (line.trim() === 'COMMIT') {
      sections.push({table: cur.table, text: `${cur.lines.join('\n')}\n`, startLine: cur.startLine, endLine: i + 1})
      cur = undefined
    }
  }
  if (cur) throw new Error(`restore input: table ${cur.table} has no COMMIT`)
  return sections
}

function errorLine(stderr: string): number | undefined {
  const m = /(?:Error occurred at line: |line )(\d+)/.exec(stderr)
  return m ? Number(m[1]) : undefined
}

export class IptablesRunner {
  readonly netns?: NetnsTarget
  readonly backend: Backend
  readonly family: Family
  readonly saveCommand: IptablesProgram
  readonly restoreCommand: IptablesProgram
  private readonly exec: Exec
  private readonly lockWait: number
  private readonly env?: Record<string, string>

  constructor(opts: IptablesRunnerOptions) {
    this.netns = opts.netns
    this.backend = opts.backend
    this.family = opts.family
    this.saveCommand = iptablesProgram(opts.family, opts.backend, 'save')
    this.restoreCommand = iptablesProgram(opts.family, opts.backend, 'restore')
    this.exec = opts.exec ?? defaultRun
    this.lockWait = opts.lockWaitSeconds ?? 10
    if (!Number.isInteger(this.lockWait) || this.lockWait < 1)
      throw new Error(`lockWaitSeconds must be a positive integer, got ${this.lockWait}`)
    this.env = opts.env
  }

  private runOpts(extra: Partial<RunOptions> = {}): RunOptions {
    // Saves too: a save outliving a killed apply is harmless but pointless, and one rule for
    // everything the runner starts keeps a later writer from forgetting it.
    return {netns: this.netns, dieWithParent: true, ...(this.env ? {env: this.env} : {}), ...extra}
  }

  /**
   * iptables-save output (stdout only: iptables-nft writes a legacy-tables warning to
   * stderr). With `tables`, only those tables; tables the namespace does not have are
   * left out for legacy and come back empty for nft.
   */
  async saveText(tables?: readonly string[], opts: SaveOptions = {}): Promise<string> {
    const extra = opts.counters ? ['-c'] : []
    let wanted = tables ? [...new Set(tables.map((t) => validateTableName(t)))] : undefined
    if (this.backend === 'legacy') {
      const existing = await legacyTableNames({netns: this.netns, family: this.family, exec: this.exec})
      if (existing.length === 0) return ''
      if (wanted) wanted = wanted.filter((t) => existing.includes(t))
      if (wanted && wanted.length === 0) return ''
    }
    const strategy = opts.strategy ?? (wanted && wanted.length === 1 ? 'per-table' : 'full')
    if (!wanted || strategy === 'full') {
      const out = (await this.exec(this.saveCommand, extra, this.runOpts())).stdout
      return wanted ? keepTables(out, wanted) : out
    }
    const outs = await Promise.all(wanted.map((t) => this.exec(this.saveCommand, [...extra, '-t', t], this.runOpts())))
    return outs.map((r) => r.stdout).join('')
  }

  /** Parsed save. Throws IncompatibleTableError when iptables-nft cannot show a table asked for. */
  async save(tables?: readonly string[], opts: SaveOptions = {}): Promise<Ruleset> {
    return parseRuleset(await this.saveText(tables, opts), {
      family: this.family,
      ...(opts.chains ? {chains: opts.chains} : {}),
    })
  }

  /**
   * Runs iptables-restore on `input` as one process. Each table commits on its own;
   * on failure the error says which tables the input held, the line and table that
   * failed and which tables before it were committed.
   */
  async restore(input: string, opts: RestoreOptions = {}): Promise<void> {
    const sections = splitRestoreInput(input)
    if (sections.length === 0) return
    const args = [`--wait=${this.lockWait}`]
    if (opts.noflush !== false) args.push('--noflush')
    if (opts.test) args.push('--test')
    if (opts.counters) args.push('--counters')
    const text = input.endsWith('\n') ? input : `${input}\n`
    try {
      await this.exec(this.restoreCommand, args, this.runOpts({input: text}))
    } catch (error) {
      if (!(error instanceof ExternalError)) throw error
      throw this.restoreError(error, sections)
    }
  }

  /**
   * One restore per table, in input order, stopping at the first failure: the
   * error's `committedTables` and `failedTable` are then exact.
   */
  async restoreEachTable(input: string, opts: RestoreOptions = {}): Promise<string[]> {
    const committed: string[] = []
    for (const s of splitRestoreInput(input)) {
      try {
        await this.restore(s.text, opts)
      } catch (error) {
        if (!(error instanceof IptablesRestoreError)) throw error
        const d: RestoreErrorDetails = {
          command: error.command ?? [],
          stderr: error.stderr ?? '',
          exitCode: error.exitCode ?? -1,
          tables: splitRestoreInput(input).map((x) => x.table),
          failedTable: s.table,
          committedTables: opts.test ? [] : [...committed],
          ...(error.line === undefined ? {} : {line: error.line + s.startLine - 1}),
        }
        const Ctor = error instanceof IptablesResourceError ? IptablesResourceError : IptablesRestoreError
        throw new Ctor(`${error.message} (committed before it: ${d.committedTables!.join(', ') || 'none'})`, d)
      }
      committed.push(s.table)
    }
    return committed
  }

  private restoreError(error: ExternalError, sections: RestoreSection[]): IptablesRestoreError {
    const stderr = error.stderr ?? ''
    const exitCode = error.exitCode ?? -1
    const line = errorLine(stderr)
    const idx = line === undefined ? -1 : sections.findIndex((s) => line >= s.startLine && line <= s.endLine)
    const failed = idx >= 0 ? sections[idx] : undefined
    const d: RestoreErrorDetails = {
      command: error.command ?? [this.restoreCommand],
      stderr,
      exitCode,
      tables: sections.map((s) => s.table),
      ...(line === undefined ? {} : {line}),
      ...(failed ? {failedTable: failed.table, committedTables: sections.slice(0, idx).map((s) => s.table)} : {}),
    }
    const where =
      this.netns && this.netns.kind !== 'current'
        ? ` in ${this.netns.kind === 'pid' ? `the namespace of PID ${this.netns.pid}` : this.netns.path}`
        : ''
    const detail = stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('Try `'))
      .join(' ')
      .trim()
    if (exitCode === 4) {
      return new IptablesResourceError(
        `${this.restoreCommand}${where} failed with status 4 (resource problem): another program held the xtables lock ` +
          `for more than ${this.lockWait}s, or the kernel refused the change${detail ? `: ${detail}` : ''}`,
        d,
      )
    }
    const tableNote = failed ? ` in table ${failed.table}` : ''
    return new IptablesRestoreError(
      `${this.restoreCommand}${where} failed${tableNote} (exit status ${exitCode})${detail ? `: ${detail}` : ''}`,
      d,
    )
  }
}

/** Keeps only the named tables of iptables-save output. */
export function keepTables(text: string, tables: readonly string[]): string {
  const out: string[] = []
  let keep = false
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) keep = tables.includes(line.slice(1).trim())
    const incompatible = INCOMPATIBLE.exec(line)
    if (incompatible && tables.includes(incompatible[1]!)) out.push(line)
    else if (keep) out.push(line)
    if (line.trim() === 'COMMIT') keep = false
  }
  return out.length ? `${out.join('\n')}\n` : ''
}
