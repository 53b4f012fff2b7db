// Terraform's flag spellings, read the way Terraform reads them. Terraform (Go's flag
// package) spells every flag with one dash (`-out=FILE`, `-auto-approve`) and takes
// `-name=true|false` for a boolean; oclif reads one dash as bundled one-letter flags, so
// `-out=x.plan` became `-o ut=x.plan` and `-chdir=DIR` became `-c hdir=DIR`, silently.
// Before oclif parses, a single-dash word that names one of the command's long flags
// becomes `--word`; any other single-dash word is refused with the spelling to use, so
// nothing is ever misread. One-letter flags (`-c DIR`, `-o FILE`, `-h`) are untouched.
import {Errors} from '@oclif/core'

import {closest} from '../config/suggest.js'

/** What the rewrite needs to know of a flag (an oclif flag definition fits). */
export interface FlagShape {
  type: 'boolean' | 'option'
  char?: string
  allowNo?: boolean
}

/**
 * Terraform flags a command may lack, with what to use instead in dockwall: the
 * refusal names the right spelling rather than suggesting a look-alike.
 */
const TERRAFORM_ONLY: Readonly<Record<string, string>> = {
  'compact-warnings': 'dockwall prints warnings in full; there is no compact form',
  backup: 'dockwall always keeps the previous state as <state>.backup',
  'state-out': 'use --state: dockwall reads and writes the same state file',
  'refresh-only':
    'dockwall plan --refresh-only shows what changed outside dockwall, and dockwall apply --refresh-only records it in the state',
  refresh: 'dockwall always refreshes: the plan is only as good as what it read from the host',
  'generate-config-out': 'in dockwall it belongs to `dockwall import --all` and `--from-networks-json`',
  upgrade: 'dockwall has no providers or modules to install',
  reconfigure: 'dockwall has no backends to configure; --state names the state file',
  'lock-timeout': 'this command takes no state lock, so there is none to wait for',
  var: 'this command reads no configuration',
  'var-file': 'this command reads no configuration',
  chdir: 'give it before the command, as in Terraform: dockwall -chdir=DIR plan',
  lock: 'only plan, apply, destroy, import, graph, explain, test, state mv and state rm take --lock=false (watch always locks each reconciliation)',
  replace: 'plan and apply take --replace ADDRESS (a network or an attachment); this command does not',
}

/** A usage error: oclif prints it and exits 1 (package.json exitCodes). */
function usage(message: string): Errors.CLIError {
  return new Errors.CLIError(message)
}

const WORD = /^(-{1,2})([A-Za-z][A-Za-z0-9-]*)(?:=([\s\S]*))?$/

/**
 * Rewrites Terraform's spellings in a command's argv into oclif's: `-name[=v]` for a
 * long flag of the command becomes `--name[=v]`; a boolean's `=true|false` (either
 * spelling) becomes the flag or its absence (`--no-name` when the flag has one); a
 * single-dash word that is no flag of the command is a usage error naming the right
 * spelling. Values of flags and everything after `--` pass through unread.
 */
export function rewriteTerraformFlags(argv: readonly string[], flags: Readonly<Record<string, FlagShape>>): string[] {
  const byChar = new Map<string, FlagShape>()
  for (const f of Object.values(flags)) if (f.char) byChar.set(f.char, f)
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string
    if (token === '--') {
      out.push(...argv.slice(i))
      break
    }
    const m = WORD.exec(token)
    if (!m) {
      out.push(token)
      continue
    }
    const [, dashes, name = '', value] = m
    if (dashes === '-' && name.length === 1) {
      // A one-letter flag, oclif's to read; its value, if it takes one and has none attached, is the next token.
      out.push(token)
      if (byChar.get(name)?.type === 'option' && value === undefined && i + 1 < argv.length)
        out.push(argv[++i] as string)
      continue
    }
    const negated = name.startsWith('no-') ? flags[name.slice(3)] : undefined
    const flag = flags[name] ?? (negated?.allowNo ? negated : undefined)
    if (!flag) {
      // `--unknown` is oclif's to report; a single-dash word would be read as bundled letters.
      if (dashes === '-') throw usage(unknownWord(name, value, flags, byChar))
      out.push(token)
      continue
    }
    if (flag.type === 'boolean') {
      out.push(...booleanForm(name, flag, flag === negated, value))
      continue
    }
    if (value !== undefined) out.push(`--${name}=${value}`)
    else {
      out.push(`--${name}`)
      if (i + 1 < argv.length) out.push(argv[++i] as string)
    }
  }
  return out
}

/** `-name`, `-name=true`, `-name=false` (and `--no-name`) as oclif takes a boolean. */
function booleanForm(name: string, flag: FlagShape, isNegation: boolean, value: string | undefined): string[] {
  if (value === undefined) return [`--${name}`]
  const base = isNegation ? name.slice(3) : name
  const on = /^(true|1)$/i.test(value) ? true : /^(false|0)$/i.test(value) ? false : undefined
  if (on === undefined) throw usage(`-${name}=${value}: a boolean flag takes true or false`)
  const wanted = isNegation ? !on : on
  if (wanted) return [`--${base}`]
  // Off: the negation where the flag has one (its default may be on), else nothing (the default is off).
  return flag.allowNo ? [`--no-${base}`] : []
}

function unknownWord(
  name: string,
  value: string | undefined,
  flags: Readonly<Record<string, FlagShape>>,
  byChar: ReadonlyMap<string, FlagShape>,
): string {
  const shown = `-${name}${value === undefined ? '' : `=${value}`}`
  const known = TERRAFORM_ONLY[name]
  if (known) return `${shown}: this command has no --${name}: ${known}`
  const near = closest(name, Object.keys(flags))
  const first = name.slice(0, 1)
  const letter = byChar.get(first)
  const hints: string[] = []
  if (near) hints.push(`did you mean --${near}?`)
  if (letter)
    hints.push(
      letter.type === 'option'
        ? `for -${first} with the value ${JSON.stringify(shown.slice(2))}, write -${first} ${shown.slice(2)}`
        : `one-letter flags go one by one: -${first} -${name.slice(1, 2)} …`,
    )
  return `unknown flag ${shown} (a single-dash word is a long flag, as Terraform reads it)${hints.length > 0 ? `: ${hints.join(' Or, ')}` : ''}`
}
