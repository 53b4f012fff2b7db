// Usage errors and stdin, on the built CLI (`npm run build` first): every usage error
// exits 1 and names what is wrong (never 2, which --detailed-exitcode gives to "changes
// present"), and nothing is read from stdin as an argument (oclif reads a missing
// argument from a pipe unless the argument says ignoreStdin).
import {existsSync, mkdtempSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Command} from '@oclif/core'
import {beforeAll, describe, expect, it} from 'vitest'

import {REPO_ROOT, runCli} from '../../helpers/cli.js'

/** Every command class under commands/, by its id (`state rm`). */
async function commandClasses(): Promise<Map<string, Command.Class>> {
  const out = new Map<string, Command.Class>()
  const walk = async (dir: string, prefix: string[]): Promise<void> => {
    for (const e of readdirSync(join(REPO_ROOT, 'commands', dir), {withFileTypes: true})) {
      if (e.isDirectory()) await walk(join(dir, e.name), [...prefix, e.name])
      else if (e.name.endsWith('.ts')) {
        const mod = (await import(join(REPO_ROOT, 'commands', dir, e.name))) as {default: Command.Class}
        out.set([...prefix, e.name.replace(/\.ts$/, '')].join(' '), mod.default)
      }
    }
  }
  await walk('.', [])
  return out
}

/** A directory with a valid configuration and a Docker socket that is not there. */
function configDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dockwall-usage-'))
  writeFileSync(join(dir, 'main.hcl'), 'network "front" {\n  subnet = "10.99.0.0/24"\n}\n')
  return dir
}
const NO_DOCKER = ['--docker-host', 'unix:///nonexistent/docker.sock']

beforeAll(() => {
  if (!existsSync(join(REPO_ROOT, 'dist/commands/plan.js')))
    throw new Error('dist/ is missing: run `npm run build` before the CLI tests')
})

describe('command definitions', () => {
  it('no argument of any command is read from stdin', async () => {
    const missing: string[] = []
    for (const [id, cls] of await commandClasses())
      for (const [name, arg] of Object.entries(cls.args ?? {})) if (!arg.ignoreStdin) missing.push(`${id} ${name}`)
    expect(missing).toEqual([])
  })

  it('no flag with dependsOn has a default (oclif would then demand the other flag on every call)', async () => {
    const bad: string[] = []
    for (const [id, cls] of await commandClasses())
      for (const [name, flag] of Object.entries(cls.flags ?? {}))
        if (flag.dependsOn && flag.default !== undefined) bad.push(`${id} --${name}`)
    expect(bad).toEqual([])
  })
})

describe('usage errors exit 1 and name the culprit', () => {
  it.each([
    [['plan', '--detailed-exitcode', '--bogus'], /--bogus/],
    [['plan', '--lock-timeout', 'soon'], /lock-timeout/],
    [['plan', '--backend', 'iptables'], /backend/],
    [['state', 'show'], /Missing 1 required arg/],
    [['apply', 'a.plan', 'b.plan'], /Unexpected argument: b\.plan/],
    [['import', '--all'], /--generate-config-out/],
    [['import', '--all', '--from-networks-json', 'x.json', '--generate-config-out', 'y.hcl'], /--all/],
  ])('dockwall %j', async (args, message) => {
    const r = await runCli(args)
    expect(r.stderr).toMatch(message)
    expect(r.exitCode).toBe(1)
  })
})

describe('import ADDRESS ID', () => {
  it('does not ask for --generate-config-out (that is for --all)', async () => {
    const r = await runCli(['import', 'network.front', 'front', '-c', configDir(), ...NO_DOCKER])
    expect(r.stderr).not.toMatch(/generate-config-out/)
    // It got as far as the Docker socket.
    expect(r.stderr).toMatch(/nonexistent\/docker\.sock/)
    expect(r.exitCode).toBe(1)
  })

  it('without ID: says what to give, exit 1', async () => {
    const r = await runCli(['import', 'network.front', '-c', configDir()])
    expect(r.stderr).toMatch(/give ADDRESS and ID/)
    expect(r.exitCode).toBe(1)
  })
})

describe('stdin is never an argument', () => {
  it('`echo yes | dockwall apply` does not read "yes" as a plan file', async () => {
    const r = await runCli(['apply', '-c', configDir(), ...NO_DOCKER], {input: 'yes\n'})
    expect(r.stderr).not.toMatch(/plan file/)
    expect(r.stderr).toMatch(/nonexistent\/docker\.sock/)
    expect(r.exitCode).toBe(1)
  })

  it('`echo FILE | dockwall show` shows the state, not FILE', async () => {
    const dir = configDir()
    const r = await runCli(['show', '-c', dir, '--state', join(dir, 'none.json')], {input: 'tonight.plan\n'})
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(`The state (${join(dir, 'none.json')}) is empty.\n`)
    expect(r.exitCode).toBe(0)
  })

  it('`echo DIR | dockwall fmt --check` formats the current directory, not DIR', async () => {
    const dir = configDir()
    writeFileSync(join(dir, 'ugly.hcl'), 'network "n" {\nsubnet="10.0.0.0/24"\n}\n')
    const r = await runCli(['fmt', '--check'], {input: `${dir}\n`, cwd: join(REPO_ROOT, 'fixtures/e2e')})
    expect(r.stdout).not.toContain(dir)
  })
})
