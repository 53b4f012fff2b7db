// `dockwall fmt` end to end (the built CLI: `npm run build` first): what it writes and
// lists, and its exit codes, which are terraform fmt's (checked against terraform 1.11:
// 0 done, 2 a file that does not parse or does not exist, 3 --check found a file to change).
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

const ENV = {COLUMNS: '100', NO_COLOR: '1', FORCE_COLOR: '0'}
const dockwall = (...args: string[]) =>
  execa('node', ['bin/run.js', ...args], {reject: false, env: ENV, extendEnv: true, timeout: 60_000})

const UGLY = 'network "n" {\nsubnet="10.0.0.0/24"\n  internal = false\n}\n'
const PRETTY = 'network "n" {\n  subnet   = "10.0.0.0/24"\n  internal = false\n}\n'

let dir: string
beforeAll(() => {
  if (!existsSync('dist/commands/fmt.js')) throw new Error('dist/ is missing: run `npm run build` before the CLI tests')
})
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockwall-fmt-'))
  await mkdir(join(dir, 'sub'))
  await writeFile(join(dir, 'a.hcl'), UGLY)
  await writeFile(join(dir, 'ok.hcl'), PRETTY)
  await writeFile(join(dir, 'sub', 'c.hcl'), UGLY)
  await writeFile(join(dir, 'x.hcl.json'), '{ "network":{} }')
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('dockwall fmt', () => {
  it('--check lists the files that would change and exits 3, writing nothing', async () => {
    const r = await dockwall('fmt', '--check', dir)
    expect(r.exitCode).toBe(3)
    expect(r.stdout).toBe(join(dir, 'a.hcl'))
    expect(await readFile(join(dir, 'a.hcl'), 'utf8')).toBe(UGLY)
    const rec = await dockwall('fmt', '--check', '--recursive', dir)
    expect(rec.stdout.split('\n')).toEqual([join(dir, 'a.hcl'), join(dir, 'sub', 'c.hcl')])
  })

  it('--diff shows the change as a unified diff', async () => {
    const r = await dockwall('fmt', '--check', '--diff', join(dir, 'a.hcl'))
    expect(r.exitCode).toBe(3)
    expect(r.stdout).toContain(`--- old/${join(dir, 'a.hcl').replace(/^\//, '')}`)
    expect(r.stdout).toContain('-subnet="10.0.0.0/24"\n+  subnet   = "10.0.0.0/24"')
  })

  it('writes the files, lists them, exits 0; then --check is clean', async () => {
    const r = await dockwall('fmt', dir)
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toBe(join(dir, 'a.hcl'))
    expect(await readFile(join(dir, 'a.hcl'), 'utf8')).toBe(PRETTY)
    expect(await readFile(join(dir, 'sub', 'c.hcl'), 'utf8')).toBe(UGLY)
    expect(await readFile(join(dir, 'x.hcl.json'), 'utf8')).toBe('{ "network":{} }')
    expect((await dockwall('fmt', '--check', dir)).exitCode).toBe(0)
  })

  it('--write=false lists without writing and exits 0', async () => {
    const r = await dockwall('fmt', '--write=false', dir)
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toBe(join(dir, 'a.hcl'))
    expect(await readFile(join(dir, 'a.hcl'), 'utf8')).toBe(UGLY)
  })

  it('a syntax error: the error with its position, exit 2, the file untouched', async () => {
    await writeFile(join(dir, 'bad.hcl'), 'x = \n')
    const r = await dockwall('fmt', join(dir, 'bad.hcl'))
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain(`${join(dir, 'bad.hcl')}:1:5: Invalid expression`)
    expect(await readFile(join(dir, 'bad.hcl'), 'utf8')).toBe('x = \n')
    expect((await dockwall('fmt', join(dir, 'missing.hcl'))).exitCode).toBe(2)
  })

  it('finds the files import --generate-config-out writes already canonical', async () => {
    const r = await dockwall('fmt', '--check', '--recursive', 'fixtures/import')
    expect(r.stdout).toBe('')
    expect(r.exitCode).toBe(0)
  })
})
