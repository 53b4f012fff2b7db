// Terraform's habits on the built CLI (`npm run build` first): -h and -help, -version and
// the version command, -chdir, single-dash flags, a mistyped command, exit codes at the
// foot of --help. Nothing here needs Docker: where a command would go on to the host,
// the Docker socket is one that is not there, and the test checks it got that far.
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {REPO_ROOT, runCli} from '../../helpers/cli.js'
import {ROOT_EXIT_CODES} from '../../../src/cli/exit-codes.js'
import {DOCKWALL_VERSION} from '../../../src/version.js'

function configDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dockwall-habits-'))
  writeFileSync(join(dir, 'main.hcl'), 'network "front" {\n  subnet = "10.99.0.0/24"\n}\n')
  return dir
}
const NO_DOCKER = '-docker-host=unix:///nonexistent/docker.sock'

beforeAll(() => {
  if (!existsSync(join(REPO_ROOT, 'dist/commands/version.js')))
    throw new Error('dist/ is missing: run `npm run build` before the CLI tests')
})

describe('help', () => {
  it.each([['-h'], ['-help'], ['--help']])('plan %s prints plan help and exits 0', async (flag) => {
    const r = await runCli(['plan', flag])
    expect(r.stdout).toContain('USAGE\n  $ dockwall plan')
    expect(r.exitCode).toBe(0)
  })

  it('the root help lists the global options and the exit codes', async () => {
    const r = await runCli(['-help'])
    expect(r.stdout).toContain('GLOBAL OPTIONS (before the command)\n  -chdir=DIR')
    expect(r.stdout).toMatch(
      /EXIT CODES\n {2}0 {2}success; plan --detailed-exitcode: no changes\n {2}1 {2}an error, usage errors/,
    )
    expect(r.exitCode).toBe(0)
  })

  it.each([
    ['plan', '2  only with --detailed-exitcode: success, and there are changes'],
    ['apply', '1  an error, usage errors included'],
    ['import', '2  partial: the configuration was written'],
    ['fmt', '3  with --check: a file is not in the canonical layout'],
  ])('%s --help ends with its exit codes', async (command, row) => {
    const r = await runCli([command, '--help'])
    const foot = r.stdout.slice(r.stdout.lastIndexOf('EXIT CODES'))
    expect(foot.replaceAll(/\s+/g, ' ')).toContain(row.replaceAll(/\s+/g, ' '))
  })
})

describe('the exit code table', () => {
  it('the README holds the table --help prints', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')
    const table = readme.slice(readme.indexOf('### Exit codes'), readme.indexOf('### Coming from Terraform'))
    const rows = [...table.matchAll(/^\| `(\d+)` \| (.*) \|$/gm)].map((m) => ({code: Number(m[1]), meaning: m[2]}))
    expect(rows).toEqual(ROOT_EXIT_CODES)
  })
})

describe('version', () => {
  it.each([['version'], ['-version'], ['--version'], ['-v']])(
    'dockwall %s prints it as Terraform does',
    async (arg) => {
      const r = await runCli([arg])
      expect(r.stdout).toMatch(new RegExp(`^dockwall v${DOCKWALL_VERSION.replaceAll('.', '\\.')}\\non linux_\\w+\\n$`))
      expect(r.exitCode).toBe(0)
    },
  )

  it.each([
    ['version', '-json'],
    ['version', '--json'],
    ['-version', '-json'],
  ])('dockwall %s %s prints JSON', async (...argv) => {
    const r = await runCli(argv)
    expect(JSON.parse(r.stdout)).toEqual({
      dockwall_version: DOCKWALL_VERSION,
      platform: expect.stringMatching(/^linux_(amd64|arm64)$/),
      node_version: process.version,
    })
    expect(r.exitCode).toBe(0)
  })
})

describe('a mistyped command', () => {
  it('suggests the nearest and exits 1', async () => {
    const r = await runCli(['plna'])
    expect(r.stderr).toContain('dockwall has no command named "plna". Did you mean "plan"?')
    expect(r.exitCode).toBe(1)
    const s = await runCli(['state', 'lst'])
    expect(s.stderr).toContain('Did you mean "state list"?')
    expect(s.exitCode).toBe(1)
  })
})

describe('-chdir', () => {
  it('runs the command in DIR', async () => {
    const dir = configDir()
    const r = await runCli(['-chdir=' + dir, 'validate'])
    expect(r.stdout).toContain('Success! The configuration is valid: 1 file, 1 network')
    expect(r.exitCode).toBe(0)
    const spaced = await runCli(['--chdir', dir, 'validate'])
    expect(spaced.exitCode).toBe(0)
  })

  it('a directory that is not there is a usage error', async () => {
    const r = await runCli(['-chdir=/nonexistent/dir', 'validate'])
    expect(r.stderr).toBe('Error: -chdir=/nonexistent/dir: no such directory\n')
    expect(r.exitCode).toBe(1)
  })
})

describe('single-dash flags', () => {
  it('plan -out=FILE -no-color -detailed-exitcode reaches the host with the flags read as Terraform reads them', async () => {
    const dir = configDir()
    const r = await runCli(['plan', '-out=x.plan', '-no-color', '-detailed-exitcode', NO_DOCKER], {cwd: dir})
    expect(r.stderr).toContain('Cannot connect to the Docker Engine at unix:///nonexistent/docker.sock')
    expect(r.exitCode).toBe(1)
  })

  it('a word it does not know is refused, exit 1, naming the spelling to use', async () => {
    const r = await runCli(['plan', '-outt=x.plan'], {cwd: configDir()})
    expect(r.stderr.replaceAll(/\s*›\s*/g, ' ')).toContain('unknown flag -outt=x.plan')
    expect(r.stderr).toContain('--out')
    expect(r.exitCode).toBe(1)
  })

  it('apply -input=false -parallelism=2 parse (the e2e test shows what they do)', async () => {
    const r = await runCli(['apply', '-input=false', '-parallelism=2', NO_DOCKER], {cwd: configDir()})
    expect(r.stderr).toContain('Cannot connect to the Docker Engine')
    expect(r.exitCode).toBe(1)
  })
})

describe('-replace=ADDRESS (issue 14)', () => {
  it('names a network or an attachment of the configuration, checked before the host is read', async () => {
    const dir = configDir()
    // A typo is refused with the nearest address, as --target's are: never "nothing to replace"
    const typo = await runCli(['plan', '-replace=network.frnt', NO_DOCKER], {cwd: dir})
    expect(typo.stderr).toContain('--replace network.frnt: not a network or an attachment in the configuration')
    expect(typo.stderr).toContain('did you mean network.front?')
    expect(typo.stderr).not.toContain('Cannot connect')
    expect(typo.exitCode).toBe(1)
    // A real address goes on to the host
    const ok = await runCli(['apply', '-replace=network.front', '-auto-approve', NO_DOCKER], {cwd: dir})
    expect(ok.stderr).toContain('Cannot connect to the Docker Engine')
    expect(ok.exitCode).toBe(1)
  })

  it('is refused with a saved plan, with -destroy, and by destroy', async () => {
    const dir = configDir()
    writeFileSync(join(dir, 'x.plan'), '{}')
    const saved = await runCli(['apply', '-replace=network.front', 'x.plan', NO_DOCKER], {cwd: dir})
    expect(saved.stderr).toContain('--replace cannot be used with a saved plan (x.plan)')
    expect(saved.exitCode).toBe(1)
    const destroyMode = await runCli(['plan', '-destroy', '-replace=network.front', NO_DOCKER], {cwd: dir})
    expect(destroyMode.stderr).toContain('--replace cannot be used with --destroy')
    expect(destroyMode.exitCode).toBe(1)
    const destroy = await runCli(['destroy', '-replace=network.front'], {cwd: dir})
    expect(destroy.stderr.replaceAll(/\s*›\s*/g, ' ')).toContain('plan and apply take --replace ADDRESS')
    expect(destroy.exitCode).toBe(1)
  })

  it('a repeatable flag takes one value: the arguments after it stay arguments', async () => {
    const dir = configDir()
    writeFileSync(join(dir, 'x.plan'), '{}')
    const target = await runCli(['apply', '-target=network.front', 'x.plan', NO_DOCKER], {cwd: dir})
    expect(target.stderr).toContain('--target cannot be used with a saved plan (x.plan)')
    expect(target.exitCode).toBe(1)
    // ADDRESS and ID after -var reach import (it goes on to the host), not -var
    writeFileSync(join(dir, 'vars.hcl'), 'variable "lan" {\n  default = "10.0.0.0/24"\n}\n')
    const imp = await runCli(['import', '-var', 'lan=10.1.0.0/24', 'network.front', 'dw-front', NO_DOCKER], {cwd: dir})
    expect(imp.stderr).toContain('Cannot connect to the Docker Engine')
    expect(imp.exitCode).toBe(1)
  })
})
