// Errors of the netfilter layer. They extend the project's audience-based
// errors (src/errors.ts) so the one CLI handler prints them.
import {ExternalError} from '../errors.js'

/** The text is not valid iptables-save output / restore input (or uses syntax dockwall does not read). */
export class IptablesParseError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly text: string,
  ) {
    super(`line ${line}: ${message}: ${text}`)
    this.name = 'IptablesParseError'
  }
}

/**
 * iptables-nft-save printed `# Table `X' is incompatible, use 'nft' tool.` (or, in
 * 1.8.9, `... contains incompatible base-chains ...`): the table holds nft rules or
 * chains that iptables cannot represent, so its content is unknown to us.
 */
export class IncompatibleTableError extends ExternalError {
  constructor(
    readonly tables: string[],
    readonly lines: string[],
  ) {
    super(
      `iptables-nft cannot show table${tables.length > 1 ? 's' : ''} ${tables.join(', ')}: ` +
        'it holds chains or rules written with nft directly, which iptables cannot represent; ' +
        `inspect it with \`nft list ruleset\` (iptables-nft said: ${lines.join(' / ')})`,
    )
    this.name = 'IncompatibleTableError'
  }
}

export interface RestoreErrorDetails {
  command: readonly string[]
  stderr: string
  exitCode: number
  /** Tables in the input, in order. */
  tables: string[]
  /** Input line iptables-restore complained about, when it said. */
  line?: number
  /** The table that line belongs to. */
  failedTable?: string
  /**
   * Tables committed before the failure (each `COMMIT` is its own transaction):
   * known only when the failing line is known; undefined means "unknown".
   */
  committedTables?: string[]
}

/** iptables-restore failed; says which tables were in the input and, when known, which were committed. */
export class IptablesRestoreError extends ExternalError {
  readonly tables: string[]
  readonly line?: number
  readonly failedTable?: string
  readonly committedTables?: string[]

  constructor(message: string, d: RestoreErrorDetails) {
    super(message, d.command, d.stderr, d.exitCode)
    this.name = 'IptablesRestoreError'
    this.tables = d.tables
    this.line = d.line
    this.failedTable = d.failedTable
    this.committedTables = d.committedTables
  }
}

/**
 * Exit status 4 (RESOURCE_PROBLEM): with the legacy backend, the xtables lock stayed
 * held by another program (Docker, firewalld) for the whole wait; with nft, also a
 * change the kernel refused while committing (e.g. deleting a chain still in use).
 */
export class IptablesResourceError extends IptablesRestoreError {
  constructor(message: string, d: RestoreErrorDetails) {
    super(message, d)
    this.name = 'IptablesResourceError'
  }
}

/** A name that must not reach iptables (bad chain name, interface name, comment...). */
export class InvalidNameError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InvalidNameError'
  }
}
