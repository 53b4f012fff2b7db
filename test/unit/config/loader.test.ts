// The loader's handling of files and structure: which files, how they merge, labels,
// HCL/JSON parity, and syntax errors from both parsers.
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadConfig} from '../../../src/config/index.js'
import {formatDiagnostic} from '../../../src/errors.js'

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockwall-load-'))
})

afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

async function files(spec: Record<string, string>): Promise<string> {
  for (const [name, text] of Object.entries(spec)) await writeFile(join(dir, name), text)
  return dir
}

async function messages(path: string, vars: string[] = []): Promise<string[]> {
  const r = await loadConfig({path, env: {}, vars})
  return r.diagnostics.map((d) => formatDiagnostic(d).replaceAll(`${dir}/`, ''))
}

describe('files', () => {
  it('loads *.hcl and *.hcl.json of a directory in name order, not dotfiles, not subdirectories', async () => {
    await files({
      'b.hcl': 'network "b" {\n  subnet = "10.2.0.0/24"\n}\n',
      'a.hcl.json': '{"network": {"a": {"subnet": "10.1.0.0/24"}}}',
      '.#c.hcl': 'garbage {',
      'notes.txt': 'x',
    })
    await mkdir(join(dir, 'sub'))
    await writeFile(join(dir, 'sub', 'x.hcl'), 'garbage {')
    const r = await loadConfig({path: dir, env: {}})
    expect(r.model?.files).toEqual([join(dir, 'a.hcl.json'), join(dir, 'b.hcl')])
    expect(r.model?.networks.map((n) => n.subnet)).toEqual(['10.1.0.0/24', '10.2.0.0/24'])
  })

  it('loads one file given by path; the state path is relative to its directory', async () => {
    await files({'one.hcl': 'dockwall {\n  state = "s.json"\n}\n'})
    const r = await loadConfig({path: join(dir, 'one.hcl'), env: {}})
    expect(r.model?.settings).toEqual({backend: 'auto', statePath: join(dir, 's.json')})
    expect(r.model?.firewall).toEqual({forwardPolicy: 'docker', inputPolicy: 'accept', sshPort: 22})
  })

  it('says when there is nothing to load', async () => {
    const summaries = async (path: string): Promise<string[]> =>
      (await loadConfig({path, env: {}})).diagnostics.map((d) => d.summary)
    expect(await summaries(dir)).toEqual([`no *.hcl or *.hcl.json files in ${dir}`])
    expect(await summaries(join(dir, 'nope'))).toEqual([`configuration not found: ${join(dir, 'nope')} does not exist`])
    await files({'x.tf': ''})
    expect(await summaries(join(dir, 'x.tf'))).toEqual([
      `${join(dir, 'x.tf')}: a configuration file must end in .hcl or .hcl.json`,
    ])
  })
})

describe('structure', () => {
  it('checks label counts and block types', async () => {
    await files({'a.hcl': 'firewall "x" {}\nrule "a" "b" {}\nnetwrk "n" {}\nfoo = 1\n'})
    expect(await messages(dir)).toEqual([
      'a.hcl:1:1: firewall: a firewall block takes no label: write firewall { ... }',
      'a.hcl:2:1: rule.a: a rule block takes exactly one label: write rule "a" { ... }',
      'a.hcl:3:1: unknown block type "netwrk"; did you mean "network"?\n  Blocks are: dockwall, variable, network, container, rule, port_forward, masquerade, assert, firewall, import.',
      'a.hcl:4:1: unknown block type "foo"\n  Blocks are: dockwall, variable, network, container, rule, port_forward, masquerade, assert, firewall, import.',
    ])
  })

  it('explains a block written without its label next to labeled ones (hcl2-parser cannot convert it)', async () => {
    await files({'a.hcl': 'rule "x" {}\n\nrule {\n  port = 1\n}\n'})
    expect(await messages(dir)).toEqual([
      'a.hcl:3:1: this rule block has no label, but other rule blocks have one; write rule "NAME" { ... }',
    ])
  })

  it('reports a label declared twice in one file and nested blocks written as attributes', async () => {
    await files({
      'a.hcl':
        'network "n" {\n  subnet = "10.1.0.0/24"\n}\nnetwork "n" {\n  subnet = "10.2.0.0/24"\n}\ncontainer "lb" {\n  route = { destination = "10.0.0.0/8" }\n  network "n" {}\n  network "n" {}\n}\n',
    })
    expect(await messages(dir)).toEqual([
      'a.hcl:4:1: network.n: network.n is declared twice; the first is at a.hcl:1',
      'a.hcl:8:11: container.lb: route must be written as blocks: route { destination = "…", via = "…" }',
      'a.hcl:10:3: container.lb.network.n: container.lb.network.n is declared twice; the first is at a.hcl:9',
    ])
  })

  it('reports problems inside nested blocks once, at their own position', async () => {
    await files({
      'a.hcl':
        'network "frontend" {\n  subnet = "10.0.0.0/24"\n}\ncontainer "lb" {\n  network "frontend" {\n    ipv4_address = var.nope\n    alises = []\n  }\n  route {\n    destination = "10.9.0.0/16"\n    via = "10.0.0.1"\n  }\n  route {\n    destination = var.x\n  }\n}\n',
    })
    expect(await messages(dir)).toEqual([
      'a.hcl:6:20: container.lb.network.frontend: reference to undeclared variable var.nope',
      'a.hcl:7:5: container.lb.network.frontend: unknown field "alises"; did you mean "aliases"?',
      'a.hcl:13:3: container.lb.route[1]: missing required field "via"',
      'a.hcl:14:19: container.lb.route[1]: reference to undeclared variable var.x',
    ])
  })

  it("reports each of a container's nested blocks on its own: every error once, at its position", async () => {
    await files({
      'a.hcl':
        'network "n" {\n  subnet = "10.1.0.0/24"\n}\ncontainer "a" {\n  network = "n"\n}\ncontainer "b" {\n  network "n" "x" {}\n}\ncontainer "c" {\n  network "n" {\n    aliases = ["ok", "not ok!"]\n  }\n  route {\n    destination = "10.9.0.0/16"\n    via = "10.1.0.1"\n  }\n  route {\n    destination = "10.9.0.0/16"\n    via = "10.1.0.2"\n  }\n}\n',
    })
    expect(await messages(dir)).toEqual([
      'a.hcl:5:13: container.a: network must be written as blocks: network "LABEL" { ipv4_address = "…" }',
      'a.hcl:8:3: container.b.network.n: a network block inside a container takes exactly one label: network "n" { ... }',
      'a.hcl:12:22: container.c.network.n: alias "not ok!": a Docker alias must start with a letter or digit and contain only letters, digits, "_", "." and "-"',
      'a.hcl:19:19: container.c.route["10.9.0.0/16"]: a second route to 10.9.0.0/16; the first is at a.hcl:14',
    ])
  })

  it('reports a JSON key given twice', async () => {
    await files({
      'a.hcl.json':
        '{\n  "network": {"n": {"subnet": "10.1.0.0/24"}},\n  "network": {"m": {"subnet": "10.2.0.0/24"}}\n}\n',
    })
    expect(await messages(dir)).toEqual([
      'a.hcl.json:3:3: Duplicate key "network" (first at line 2); JSON objects cannot repeat a key, put repeated blocks in a list',
    ])
  })

  it('reports a key given twice in a large object too (and a repeated key at any depth)', async () => {
    const rules = Array.from({length: 30}, (_, i) => `    "r${i}": {"port": ${i + 1}}`)
    rules.push('    "r7": {"port": 99, "port": 100}')
    await files({'a.hcl.json': `{\n  "rule": {\n${rules.join(',\n')}\n  }\n}\n`})
    expect(await messages(dir)).toEqual([
      'a.hcl.json:33:5: Duplicate key "r7" (first at line 10); JSON objects cannot repeat a key, put repeated blocks in a list',
      'a.hcl.json:33:24: Duplicate key "port" (first at line 33); JSON objects cannot repeat a key, put repeated blocks in a list',
    ])
  })

  it('gives the same model for HCL and its JSON form', async () => {
    const hcl =
      'variable "p" {\n  default = 80\n}\nnetwork "n" {\n  subnet = "10.1.0.0/24"\n}\ncontainer "lb" {\n  network "n" {\n    ipv4_address = "10.1.0.5"\n  }\n  route {\n    destination = "10.9.0.0/16"\n    via = "10.1.0.1"\n  }\n}\nrule "r" {\n  from = [network.n, "10.0.0.1"]\n  to = container.lb\n  ports = [var.p, "8000-8100"]\n}\n'
    const json = {
      variable: {p: [{default: 80}]},
      network: {n: [{subnet: '10.1.0.0/24'}]},
      container: {
        lb: [{network: {n: [{ipv4_address: '10.1.0.5'}]}, route: [{destination: '10.9.0.0/16', via: '10.1.0.1'}]}],
      },
      rule: {r: [{from: ['${network.n}', '10.0.0.1'], to: '${container.lb}', ports: ['${var.p}', '8000-8100']}]},
    }
    await mkdir(join(dir, 'h'))
    await mkdir(join(dir, 'j'))
    await writeFile(join(dir, 'h', 'c.hcl'), hcl)
    await writeFile(join(dir, 'j', 'c.hcl.json'), JSON.stringify(json))
    const strip = (m: unknown): string =>
      JSON.stringify(m, (k, v: unknown) => (k === 'at' || k === 'files' ? undefined : v))
    const h = await loadConfig({path: join(dir, 'h'), env: {}})
    const j = await loadConfig({path: join(dir, 'j'), env: {}})
    expect(h.diagnostics).toEqual([])
    expect(j.diagnostics).toEqual([])
    expect(strip({...j.model, settings: null})).toBe(strip({...h.model, settings: null}))
  })

  it('unwraps `type = string` and warns about the default gateway address', async () => {
    await files({
      'a.hcl':
        'variable "s" {\n  type = string\n  default = 1\n}\nnetwork "n" {\n  subnet = "10.1.0.0/24"\n}\ncontainer "lb" {\n  name = "lb-${var.s}"\n  network "n" {\n    ipv4_address = "10.1.0.1"\n  }\n}\n',
    })
    const r = await loadConfig({path: dir, env: {}})
    expect(r.model?.containers[0]?.name).toBe('lb-1')
    expect(r.diagnostics.map((d) => formatDiagnostic(d).replaceAll(`${dir}/`, ''))).toEqual([
      'a.hcl:11:20: warning: container.lb.network.n: ipv4_address 10.1.0.1 is the address Docker gives the gateway when none is set; set gateway on network.n or pick another address',
    ])
  })
})
