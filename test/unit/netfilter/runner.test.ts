import {describe, expect, it} from 'vitest'

import {ExternalError} from '../../../src/errors.js'
import {IncompatibleTableError, IptablesResourceError, IptablesRestoreError} from '../../../src/netfilter/errors.js'
import {IptablesRunner, keepTables, splitRestoreInput} from '../../../src/netfilter/runner.js'
import type {RunOptions, RunResult} from '../../../src/util/exec.js'

interface Call {
  file: string
  args: readonly string[]
  opts?: RunOptions
}
type Handler = (c: Call) => RunResult

function fake(handler: Handler) {
  const calls: Call[] = []
  const exec = async (file: string, args: readonly string[], opts?: RunOptions): Promise<RunResult> => {
    const c = {file, args, opts}
    calls.push(c)
    const r = handler(c)
    if (r.exitCode !== 0 && !(opts?.okExitCodes ?? []).includes(r.exitCode)) {
      throw new ExternalError(
        `${[file, ...args].join(' ')}: exit code ${r.exitCode}`,
        [file, ...args],
        r.stderr,
        r.exitCode,
      )
    }
    return r
  }
  return {exec, calls}
}
const out = (stdout: string, stderr = '', exitCode = 0): RunResult => ({stdout, stderr, exitCode, command: []})

const FILTER = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n'
const NAT = '*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n'
const MANGLE = '*mangle\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n'
const netns = {kind: 'pid' as const, pid: 4242}

describe('splitRestoreInput', () => {
  it('cuts input into one section per table with line numbers', () => {
    const input = `# header\n${FILTER}\n${NAT}`
    expect(splitRestoreInput(input)).toEqual([
      {table: 'filter', text: FILTER, startLine: 2, endLine: 5},
      {table: 'nat', text: NAT, startLine: 7, endLine: 9},
    ])
  })
  it('refuses lines outside a table and a missing COMMIT', () => {
    expect(() => splitRestoreInput('-A X\n')).toThrow(/outside a table/)
    expect(() => splitRestoreInput('*filter\n-A X\n')).toThrow(/no COMMIT/)
  })
})

describe('IptablesRunner.save', () => {
  it('nft: one full save for several tables, stdout only, inside the namespace', async () => {
    const {exec, calls} = fake(() =>
      out(FILTER + NAT + MANGLE, '# Warning: iptables-legacy tables present, use iptables-legacy-save to see them\n'),
    )
    const r = new IptablesRunner({backend: 'nft', family: 'ipv4', netns, exec})
    const rs = await r.save(['filter', 'nat'])
    expect(rs.tables.map((t) => t.name)).toEqual(['filter', 'nat'])
    // Dies with dockwall like every child the runner starts (see the restore case).
    expect(calls).toEqual([{file: 'iptables-nft-save', args: [], opts: {netns, dieWithParent: true}}])
  })
  it('nft: one -t save for a single table', async () => {
    const {exec, calls} = fake(() => out(NAT))
    await new IptablesRunner({backend: 'nft', family: 'ipv6', exec}).save(['nat'])
    expect(calls.map((c) => [c.file, ...c.args])).toEqual([['ip6tables-nft-save', '-t', 'nat']])
  })
  it('legacy: asks only for tables listed in /proc/net/ip_tables_names (save -t would create them)', async () => {
    const {exec, calls} = fake((c) => {
      if (c.file === 'cat') return out('filter\n')
      return out(FILTER)
    })
    const r = new IptablesRunner({backend: 'legacy', family: 'ipv4', netns, exec})
    const rs = await r.save(['filter', 'nat'], {strategy: 'per-table'})
    expect(rs.tables.map((t) => t.name)).toEqual(['filter'])
    expect(calls.map((c) => [c.file, ...c.args])).toEqual([
      ['cat', '/proc/net/ip_tables_names'],
      ['iptables-legacy-save', '-t', 'filter'],
    ])
    expect(calls.every((c) => c.opts?.netns === netns)).toBe(true)
  })
  it('legacy: nothing at all when the namespace has no legacy tables', async () => {
    const {exec, calls} = fake(() => out('', 'cat: /proc/net/ip_tables_names: No such file or directory', 1))
    expect(await new IptablesRunner({backend: 'legacy', family: 'ipv4', exec}).save()).toEqual({tables: []})
    expect(calls).toHaveLength(1)
  })
  it('reports an incompatible table it was asked for', async () => {
    const {exec} = fake(() => out(`${FILTER}# Table \`nat' is incompatible, use 'nft' tool.\n`))
    await expect(
      new IptablesRunner({backend: 'nft', family: 'ipv4', exec}).save(['filter', 'nat']),
    ).rejects.toBeInstanceOf(IncompatibleTableError)
    expect(keepTables(`${FILTER}# Table \`nat' is incompatible, use 'nft' tool.\n`, ['filter'])).toBe(FILTER)
  })
  it('refuses unknown table names before running anything', async () => {
    const {exec, calls} = fake(() => out(''))
    await expect(new IptablesRunner({backend: 'nft', family: 'ipv4', exec}).save(['filter; rm'])).rejects.toThrow(
      /unknown table/,
    )
    expect(calls).toHaveLength(0)
  })
})

describe('IptablesRunner.restore', () => {
  it('runs restore with --wait and --noflush, input on stdin, dying with dockwall', async () => {
    const {exec, calls} = fake(() => out(''))
    await new IptablesRunner({backend: 'legacy', family: 'ipv4', netns, exec, lockWaitSeconds: 3}).restore(FILTER)
    // dieWithParent: a restore orphaned by a SIGKILLed apply would otherwise commit later, racing the next apply.
    expect(calls).toEqual([
      {
        file: 'iptables-legacy-restore',
        args: ['--wait=3', '--noflush'],
        opts: {netns, input: FILTER, dieWithParent: true},
      },
    ])
  })
  it('maps exit status 4 to IptablesResourceError', async () => {
    const stderr = 'Another app is currently holding the xtables lock. Stopped waiting after 10s.\n'
    const {exec} = fake(() => out('', stderr, 4))
    const p = new IptablesRunner({backend: 'legacy', family: 'ipv4', exec}).restore(FILTER + NAT)
    await expect(p).rejects.toBeInstanceOf(IptablesResourceError)
    await expect(p).rejects.toThrow(/status 4 \(resource problem\): another program held the xtables lock/)
    await expect(p).rejects.toMatchObject({tables: ['filter', 'nat'], stderr, exitCode: 4})
  })
  it('names the failed table and the tables committed before it', async () => {
    const stderr =
      "iptables-nft-restore v1.8.9 (nf_tables): Chain 'NOPE' does not exist\nError occurred at line: 6\nTry `iptables-nft-restore -h' or 'iptables-nft-restore --help' for more information.\n"
    const {exec} = fake(() => out('', stderr, 2))
    const p = new IptablesRunner({backend: 'nft', family: 'ipv4', exec}).restore(
      FILTER + NAT.replace('COMMIT', '-A PREROUTING -j NOPE\nCOMMIT'),
    )
    await expect(p).rejects.toBeInstanceOf(IptablesRestoreError)
    await expect(p).rejects.toMatchObject({
      line: 6,
      failedTable: 'nat',
      committedTables: ['filter'],
      command: ['iptables-nft-restore', '--wait=10', '--noflush'],
    })
    await expect(p).rejects.toThrow(
      "failed in table nat (exit status 2): iptables-nft-restore v1.8.9 (nf_tables): Chain 'NOPE' does not exist Error occurred at line: 6",
    )
  })
  it('restoreEachTable runs one transaction per table and stops at the first failure', async () => {
    const {exec, calls} = fake((c) =>
      c.opts?.input?.startsWith('*nat') ? out('', 'iptables-restore: line 2 failed\n', 1) : out(''),
    )
    const r = new IptablesRunner({backend: 'legacy', family: 'ipv4', exec})
    expect(await r.restoreEachTable(FILTER + MANGLE)).toEqual(['filter', 'mangle'])
    const p = r.restoreEachTable(FILTER + NAT + MANGLE)
    await expect(p).rejects.toMatchObject({
      failedTable: 'nat',
      committedTables: ['filter'],
      tables: ['filter', 'nat', 'mangle'],
      line: 6,
    })
    expect(calls.filter((c) => c.opts?.input?.startsWith('*mangle'))).toHaveLength(1) // only from the first call
  })
})
