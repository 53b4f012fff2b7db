// docs/TERRAFORM.md, row by row (issue 14): every dockwall command line of the
// Terraform table runs, in the table's order, with the built CLI against a sandbox
// engine on each iptables backend, and exits with the row's code and prints the row's
// output (a text, the keys of a JSON object, or nothing). A row that is not run must
// say "not applicable" and why. The configuration is fixtures/e2e/terraform-table.
import {cpSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import type {Backend} from '../sandbox/index.js'
import {REPO_ROOT} from '../helpers/cli.js'
import {useSandbox} from '../helpers/sandbox.js'
import {dockwall, fixturePath, workdir} from './dockwall-e2e.js'

interface Row {
  terraform: string
  /** The command line as the table shows it. */
  line: string
  argv: string[]
  env: Record<string, string>
  input?: string
  exit: number
  output: {kind: 'text'; text: string} | {kind: 'json'; keys: string[]} | {kind: 'nothing'}
}

const DOC = readFileSync(join(REPO_ROOT, 'docs', 'TERRAFORM.md'), 'utf8')

/** Splits a command line as a POSIX shell would for the simple forms the table uses (words, single quotes). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!)
}

function code(cell: string): string | undefined {
  return /^`([^`]*)`/.exec(cell.trim())?.[1]?.replaceAll('\\|', '|')
}

function parseTable(doc: string): {rows: Row[]; notApplicable: string[]} {
  const lines = doc.split('\n').filter((l) => l.startsWith('| '))
  const rows: Row[] = []
  const notApplicable: string[] = []
  for (const l of lines.slice(1)) {
    const cells = l
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim())
    if (cells.length !== 4) throw new Error(`docs/TERRAFORM.md: a row needs 4 cells: ${l}`)
    const [terraform, dw, exit, out] = cells as [string, string, string, string]
    if (dw.startsWith('not applicable')) {
      notApplicable.push(terraform)
      continue
    }
    const line = code(dw)
    const m = line ? /^(?:([A-Z_a-z]+)=(\S+) )?(?:echo (\w+) \| )?dockwall (.*)$/.exec(line) : null
    if (!line || !m) throw new Error(`docs/TERRAFORM.md: neither a dockwall command nor "not applicable": ${l}`)
    const expected = code(out)
    if (expected === undefined || !/^\d+$/.test(exit))
      throw new Error(`docs/TERRAFORM.md: exit or output missing: ${l}`)
    rows.push({
      terraform,
      line,
      argv: words(m[4]!),
      env: m[1] ? {[m[1]]: m[2]!} : {},
      ...(m[3] ? {input: `${m[3]}\n`} : {}),
      exit: Number(exit),
      output:
        expected === '(nothing)'
          ? {kind: 'nothing'}
          : /^\{.*\}$/.test(expected)
            ? {kind: 'json', keys: expected.slice(1, -1).split(/,\s*/)}
            : {kind: 'text', text: expected},
    })
  }
  return {rows, notApplicable}
}

const {rows, notApplicable} = parseTable(DOC)

describe('docs/TERRAFORM.md', () => {
  it('is a table of runnable rows and reasoned exceptions, linked from the README', () => {
    expect(rows.length).toBeGreaterThanOrEqual(40)
    expect(notApplicable).toContain('`terraform init`')
    // The exit codes Terraform documents each appear: 0, 1 (usage errors included) and 2.
    expect(new Set(rows.map((r) => r.exit))).toEqual(new Set([0, 1, 2]))
    expect(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).toContain('(docs/TERRAFORM.md)')
  })
})

describe.each(['nft', 'legacy'] as const)('the Terraform table, row by row, %s backend', (backend: Backend) => {
  const sandbox = useSandbox(backend)
  const dir = workdir(`terraform-table-${backend}`)

  beforeAll(async () => {
    // network.lan exists before dockwall: `dockwall import` adopts it.
    await sandbox().createNetwork('dw-tf-lan', '10.78.9.0/24', '10.78.9.1')
    cpSync(fixturePath('terraform-table'), dir.path, {recursive: true})
    cpSync(fixturePath('terraform-table'), join(dir.path, 'sub'), {recursive: true})
    return () => dir.remove()
  })

  // In order: each row may rely on the ones above it (the import, the saved plan, the apply).
  it.each(rows.map((r) => [r.line, r] as const))('%s', async (_line, row) => {
    const sb = sandbox()
    const r = await dockwall(sb, dir.path, row.argv, {
      env: {DOCKER_HOST: sb.dockerHost, DOCKWALL_NETNS: sb.netnsPath, ...row.env},
      ...(row.input !== undefined ? {input: row.input} : {}),
    })
    const shown = `$ ${row.line}\n--- exit ${r.exitCode} --- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`
    expect(r.exitCode, shown).toBe(row.exit)
    switch (row.output.kind) {
      case 'nothing':
        expect(r.stdout, shown).toBe('')
        break
      case 'json': {
        const json = JSON.parse(r.stdout) as Record<string, unknown>
        for (const k of row.output.keys) expect(json, shown).toHaveProperty(k)
        break
      }
      case 'text':
        // oclif wraps its error messages: compare with whitespace folded.
        expect(`${r.stdout}\n${r.stderr}`.replaceAll(/\s+/g, ' '), shown).toContain(
          row.output.text.replaceAll(/\s+/g, ' '),
        )
    }
  })
})
