// Every flag's default shown in --help (issue 14, item 7). oclif prints `[default: X]`
// for an option flag that declares its default, and nothing for one that does not, so
// `--backend` used to show its options without saying that auto (or the configuration's
// setting) applies. Read from the built manifest (oclif.manifest.json, which help uses):
// an option flag declares a default, or its help text states it ("Default: ...", "by
// default ..."), where the default is computed (the state path, the backend the
// configuration names) and an oclif default would override the computation. oclif never
// prints a boolean's default: one that can be negated (--[no-]input) states it in words.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {REPO_ROOT} from '../../helpers/cli.js'

interface ManifestFlag {
  name: string
  type: 'boolean' | 'option'
  default?: unknown
  summary?: string
  description?: string
  allowNo?: boolean
}

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, {flags: Record<string, ManifestFlag>}>
}

/** A statement of the default, not any use of the word ("overrides the variable's default" is none). */
export const STATES_DEFAULT = /\b(Default\b|The default\b|[Bb]y default\b|defaults to\b)|\(default\b/

/** Flags that truly have no default: leaving them out means "none" or "off". */
const NO_DEFAULT: Readonly<Record<string, string>> = {
  out: 'plan --out: no file unless asked',
  replace: 'repeatable: nothing is force-replaced unless named',
  var: 'repeatable: each variable has its own default in the configuration',
  'var-file': 'repeatable: no variable file unless named',
  map: 'import --map, repeatable: no names resolved by hand unless given',
  'generate-config-out': 'import: the file to write, required with --all and --from-networks-json',
  'from-networks-json': 'import: one of the ways in, off unless given',
  'status-file': 'watch: no status file unless asked',
  port: 'explain: required for tcp and udp, refused for icmp',
  'in-interface': 'explain: only for a FROM outside the host',
}

function helpText(f: ManifestFlag): string {
  return `${f.summary ?? ''}\n${f.description ?? ''}`
}

function hasDeclaredDefault(f: ManifestFlag): boolean {
  return f.default !== undefined && f.default !== null && f.default !== ''
}

describe('STATES_DEFAULT', () => {
  it('matches a stated default, not a passing use of the word', () => {
    for (const s of [
      'Default: auto.',
      'Default 30s, or WATCH_PERIOD_SECONDS.',
      'The default, 0s as in Terraform, fails at once.',
      'On by default (2m) when an SSH session is known.',
      'By default the plan covers everything.',
      'State file (default: the configuration\'s "state" setting).',
    ])
      expect(s).toMatch(STATES_DEFAULT)
    expect("Overrides the variable's default and --var-file.").not.toMatch(STATES_DEFAULT)
  })
})

describe('oclif.manifest.json', () => {
  const flags = Object.entries(manifest.commands).flatMap(([id, c]) => Object.values(c.flags).map((f) => ({id, f})))

  it('lists the commands and their flags', () => {
    expect(flags.length).toBeGreaterThan(100)
  })

  it('every option flag declares its default or states it in its help', () => {
    const missing = flags
      .filter(({f}) => f.type === 'option' && !(f.name in NO_DEFAULT))
      .filter(({f}) => !hasDeclaredDefault(f) && !STATES_DEFAULT.test(helpText(f)))
      .map(({id, f}) => `${id} --${f.name}`)
    expect(missing).toEqual([])
  })

  it('every boolean with a --no- form states its default in its help', () => {
    const missing = flags
      .filter(({f}) => f.type === 'boolean' && f.allowNo && !STATES_DEFAULT.test(helpText(f)))
      .map(({id, f}) => `${id} --[no-]${f.name}`)
    expect(missing).toEqual([])
  })

  it('the allowlist names only flags that exist and have no default', () => {
    const byName = new Map<string, ManifestFlag[]>()
    for (const {f} of flags) byName.set(f.name, [...(byName.get(f.name) ?? []), f])
    for (const name of Object.keys(NO_DEFAULT)) {
      expect(byName.get(name), `--${name}`).toBeDefined()
      expect(byName.get(name)!.filter(hasDeclaredDefault), `--${name}`).toEqual([])
    }
  })
})
