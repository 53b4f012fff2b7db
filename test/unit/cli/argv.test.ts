// Terraform's flag spellings (src/cli/argv.ts, src/cli/global-argv.ts): each either
// means what it means in Terraform or is refused naming the right spelling; never
// read as bundled one-letter flags.
import {describe, expect, it} from 'vitest'

import {rewriteTerraformFlags, type FlagShape} from '../../../src/cli/argv.js'
import {globalArgv} from '../../../src/cli/global-argv.js'
import {notFoundMessage} from '../../../src/cli/hooks/not-found.js'

/** plan's flags, as far as the rewrite needs them. */
const PLAN: Record<string, FlagShape> = {
  config: {type: 'option', char: 'c'},
  out: {type: 'option', char: 'o'},
  target: {type: 'option'},
  var: {type: 'option'},
  'var-file': {type: 'option'},
  json: {type: 'boolean'},
  'detailed-exitcode': {type: 'boolean'},
  'no-color': {type: 'boolean'},
  input: {type: 'boolean', allowNo: true},
  'auto-approve': {type: 'boolean'},
  lock: {type: 'boolean', allowNo: true},
}
const rewrite = (...argv: string[]) => rewriteTerraformFlags(argv, PLAN)

describe('rewriteTerraformFlags', () => {
  it.each([
    [['-out=x.plan'], ['--out=x.plan']],
    [
      ['-out', 'x.plan'],
      ['--out', 'x.plan'],
    ],
    [
      ['-target=rule.a', '-target=rule.b'],
      ['--target=rule.a', '--target=rule.b'],
    ],
    [
      ['-var', 'lan=10.0.0.0/8'],
      ['--var', 'lan=10.0.0.0/8'],
    ],
    [['-var-file=prod.hcl'], ['--var-file=prod.hcl']],
    [
      ['-json', '-detailed-exitcode', '-no-color'],
      ['--json', '--detailed-exitcode', '--no-color'],
    ],
    [['-auto-approve'], ['--auto-approve']],
  ])('%j means %j', (argv, expected) => {
    expect(rewrite(...argv)).toEqual(expected)
  })

  it('reads a boolean as Go does: =true and =false, in either spelling', () => {
    expect(rewrite('-auto-approve=true')).toEqual(['--auto-approve'])
    expect(rewrite('-auto-approve=false')).toEqual([])
    expect(rewrite('--auto-approve=false')).toEqual([])
    expect(rewrite('-input=false')).toEqual(['--no-input'])
    expect(rewrite('--input=true')).toEqual(['--input'])
    expect(rewrite('--no-input=false')).toEqual(['--input'])
    expect(() => rewrite('-auto-approve=yes')).toThrow('-auto-approve=yes: a boolean flag takes true or false')
  })

  it('leaves one-letter flags, their values and what follows -- alone', () => {
    expect(rewrite('-c', '-odd-dir', '-o', 'p.plan')).toEqual(['-c', '-odd-dir', '-o', 'p.plan'])
    expect(rewrite('-c/etc/dockwall')).toEqual(['-c/etc/dockwall'])
    expect(rewrite('--', '-out=x')).toEqual(['--', '-out=x'])
    // A value that looks like a flag is the value of the flag before it.
    expect(rewrite('-var', '-weird=1')).toEqual(['--var', '-weird=1'])
    expect(rewrite('--target', '-x')).toEqual(['--target', '-x'])
  })

  it('leaves an unknown --flag for oclif to report', () => {
    expect(rewrite('--bogus')).toEqual(['--bogus'])
  })

  it("reads Terraform's -lock=false as --no-lock, and -lock=true as --lock", () => {
    expect(rewrite('-lock=false', '-out=x.plan')).toEqual(['--no-lock', '--out=x.plan'])
    expect(rewrite('--lock=false')).toEqual(['--no-lock'])
    expect(rewrite('-lock=true')).toEqual(['--lock'])
  })

  it('refuses a single-dash word it does not know, never reading it as -o ut=…', () => {
    expect(() => rewrite('-outt=x.plan')).toThrow(
      'unknown flag -outt=x.plan (a single-dash word is a long flag, as Terraform reads it): did you mean --out? Or, for -o with the value "utt=x.plan", write -o utt=x.plan',
    )
    expect(() => rewrite('-cfoo')).toThrow('for -c with the value "foo", write -c foo')
  })

  it("names the right spelling for Terraform's flags dockwall has not", () => {
    expect(() => rewrite('-chdir=/etc')).toThrow(
      '-chdir=/etc: this command has no --chdir: give it before the command, as in Terraform: dockwall -chdir=DIR plan',
    )
    // A command without --lock (show, watch) names the ones that have it.
    expect(() => rewriteTerraformFlags(['-lock=false'], {state: {type: 'option'}})).toThrow(
      '-lock=false: this command has no --lock: only plan, apply, destroy, import, graph, explain, test, state mv and state rm take --lock=false',
    )
    expect(() => rewrite('-refresh=false')).toThrow(/always refreshes/)
  })
})

describe('globalArgv', () => {
  it('takes -chdir before the command, in both spellings', () => {
    expect(globalArgv(['-chdir=/etc/dockwall', 'plan', '-out=x'])).toEqual({
      argv: ['plan', '-out=x'],
      chdir: '/etc/dockwall',
    })
    expect(globalArgv(['--chdir', '/srv', 'validate'])).toEqual({argv: ['validate'], chdir: '/srv'})
    expect(() => globalArgv(['-chdir=', 'plan'])).toThrow('-chdir needs a directory')
  })

  it('reads -version, --version and -v as the version command, flags after it kept', () => {
    for (const v of ['-v', '-version', '--version'])
      expect(globalArgv([v, '-json'])).toEqual({argv: ['version', '-json']})
  })

  it("leaves the rest alone: a -chdir after the command is the command's to refuse", () => {
    expect(globalArgv(['plan', '-chdir=x'])).toEqual({argv: ['plan', '-chdir=x']})
    expect(globalArgv(['plan', '-v'])).toEqual({argv: ['plan', '-v']})
  })
})

describe('a mistyped command', () => {
  const ids = ['plan', 'apply', 'destroy', 'state:list', 'state:rm', 'state:show', 'version']
  it('gets the nearest, as Terraform words it', () => {
    expect(notFoundMessage('plna', ids, 'dockwall')).toBe(
      'dockwall has no command named "plna". Did you mean "plan"?\n\nTo see all of dockwall\'s commands, run:\n  dockwall --help\n',
    )
    expect(notFoundMessage('destory', ids, 'dockwall')).toContain('Did you mean "destroy"?')
    expect(notFoundMessage('state:lst', ids, 'dockwall')).toContain(
      'no command named "state lst". Did you mean "state list"?',
    )
    expect(notFoundMessage('frobnicate', ids, 'dockwall')).not.toContain('Did you mean')
  })

  it('after a command that takes no arguments, is an extra argument', () => {
    expect(notFoundMessage('plan:extra', ids, 'dockwall')).toBe(
      'Error: unexpected argument "extra": dockwall plan takes none.\nSee dockwall plan --help.\n',
    )
  })
})
