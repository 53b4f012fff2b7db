import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type LoadOptions, loadConfig} from '../../../src/config/index.js'
import {formatDiagnostic} from '../../../src/errors.js'

let dir: string

const config = `
variable "lan" {
  default = "10.0.0.0/8"
}
variable "port" {
  type    = number
  default = 80
}
variable "ports" {
  type = "list"
}
variable "internal" {
  default = false
}
network "n" {
  subnet   = "172.30.0.0/24"
  internal = var.internal
  labels   = { lan = "lan-\${var.lan}" }
}
rule "r" {
  from = var.lan
  port = var.port
}
rule "s" {
  ports = var.ports
}
`

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockwall-vars-'))
  await writeFile(join(dir, 'main.hcl'), config)
  await writeFile(join(dir, 'a.vars.hcl'), 'lan = "172.16.0.0/12"\nport = 8080\n')
  await writeFile(join(dir, 'b.vars.json'), '{"port": 9090, "unknown_one": 1}')
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

async function load(opts: Partial<LoadOptions>) {
  const r = await loadConfig({path: join(dir, 'main.hcl'), env: {DOCKWALL_VAR_ports: '22'}, ...opts})
  const rule = r.model?.rules.find((x) => x.label === 'r')
  return {
    r,
    lan: rule?.from,
    port: rule?.ports,
    ports: r.model?.rules.find((x) => x.label === 's')?.ports,
    internal: r.model?.networks[0]?.internal,
    label: r.model?.networks[0]?.labels.lan,
    messages: r.diagnostics.map((d) => formatDiagnostic(d).replaceAll(dir, 'DIR')),
  }
}

describe('variables', () => {
  it('use their defaults, with interpolation into strings', async () => {
    const v = await load({})
    expect(v.messages).toEqual([])
    expect(v.lan).toEqual([{kind: 'cidr', cidr: '10.0.0.0/8', family: 'ipv4'}])
    expect(v.port).toEqual([{from: 80, to: 80}])
    expect(v.label).toBe('lan-10.0.0.0/8')
    expect(v.internal).toBe(false)
  })

  it('take precedence: default < DOCKWALL_VAR_x < --var-file (in order) < --var (in order)', async () => {
    const env = {
      DOCKWALL_VAR_lan: '192.168.0.0/16',
      DOCKWALL_VAR_port: '81',
      DOCKWALL_VAR_ports: '22',
      DOCKWALL_VAR_internal: 'true',
    }
    expect((await load({env})).lan).toEqual([{kind: 'cidr', cidr: '192.168.0.0/16', family: 'ipv4'}])
    expect((await load({env})).internal).toBe(true)
    const files = await load({env, varFiles: [join(dir, 'a.vars.hcl'), join(dir, 'b.vars.json')]})
    expect(files.lan).toEqual([{kind: 'cidr', cidr: '172.16.0.0/12', family: 'ipv4'}]) // a.vars.hcl beats the environment
    expect(files.port).toEqual([{from: 9090, to: 9090}]) // b.vars.json, later, beats a.vars.hcl
    const flags = await load({
      env,
      varFiles: [join(dir, 'a.vars.hcl')],
      vars: ['port=1000', 'port=1001', 'lan=10.1.0.0/16'],
    })
    expect(flags.port).toEqual([{from: 1001, to: 1001}])
    expect(flags.lan).toEqual([{kind: 'cidr', cidr: '10.1.0.0/16', family: 'ipv4'}])
  })

  it('convert text to the declared type: lists as JSON arrays or comma-separated', async () => {
    expect((await load({vars: ['ports=[80, "8000-8100"]']})).ports).toEqual([
      {from: 80, to: 80},
      {from: 8000, to: 8100},
    ])
    expect((await load({vars: ['ports=80, 443']})).ports).toEqual([
      {from: 80, to: 80},
      {from: 443, to: 443},
    ])
  })

  it('warn about names in a var file that no variable declares', async () => {
    const v = await load({varFiles: [join(dir, 'b.vars.json')]})
    expect(v.r.model).toBeDefined()
    expect(v.messages).toEqual([
      'DIR/b.vars.json:1:16: warning: no variable "unknown_one" is declared; the value is ignored',
    ])
  })

  it('reject unknown --var names with a hint, malformed --var, and values of the wrong type', async () => {
    const v = await load({
      vars: ['prot=1', 'lan', 'port=http'],
      env: {DOCKWALL_VAR_ports: '22', DOCKWALL_VAR_internal: 'maybe'},
    })
    expect(v.r.model).toBeUndefined()
    expect(v.messages).toEqual([
      'DOCKWALL_VAR_internal (environment): the variable is a bool: use true or false, not "maybe"',
      '--var prot: no variable "prot" is declared; did you mean "port"?',
      '--var "lan": expected NAME=VALUE',
      '--var port=http: the variable is a number; "http" is not',
    ])
  })

  it('require a value for every variable', async () => {
    const v = await load({env: {}})
    expect(v.messages).toEqual([
      'DIR/main.hcl:9:1: var.ports: variable "ports" has no value: give it a default, set DOCKWALL_VAR_ports, or pass --var ports=VALUE',
    ])
  })
})
