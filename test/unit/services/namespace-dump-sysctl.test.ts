// br_netfilter's switches of dockwall's own namespace come from /proc/sys, not from a
// `sysctl` process (issue 16: each process costs tens of ms on a loaded host); another
// namespace's still from `sysctl -e` inside it.
import {readFileSync} from 'node:fs'
import {afterEach, describe, expect, it, vi} from 'vitest'

import {startTopologyRead} from '../../../src/services/namespace-dump.js'
import {run, type RunOptions, type RunResult} from '../../../src/util/exec.js'

vi.mock('../../../src/util/exec.js', async (importOriginal) => ({
  ...(await importOriginal<Record<string, unknown>>()),
  run: vi.fn(),
}))

/** `ip -j -d -batch -` for link, addr, route, netconf: one bridge, no IPv6 address. */
const BATCH = '[{"ifindex":3,"ifname":"docker0","linkinfo":{"info_kind":"bridge"}}]\n[]\n[]\n[]\n'

function fake(calls: string[]): void {
  vi.mocked(run).mockImplementation(async (file: string, _a: readonly string[], opts: RunOptions = {}) => {
    calls.push(`${file} ${opts.netns?.kind ?? 'current'}`)
    const stdout =
      file === 'ip' ? BATCH : 'net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\n'
    return {stdout, stderr: '', exitCode: 0, command: [file]} satisfies RunResult
  })
}

/** What /proc/sys says here, '0' when br_netfilter is not loaded (as the reader defaults). */
function here(name: string): string {
  try {
    return readFileSync(`/proc/sys/net/bridge/${name}`, 'utf8').trim()
  } catch {
    return '0'
  }
}

afterEach(() => vi.mocked(run).mockReset())

describe('bridge switches', () => {
  it("reads its own namespace's from /proc/sys, with no sysctl process", async () => {
    // Given a namespace with a bridge: this process's own, named by a path
    const calls: string[] = []
    fake(calls)
    // When its topology is read
    const t = await startTopologyRead('host', {kind: 'path', path: `/proc/${process.pid}/ns/net`}).topology
    // Then only the batch ran, and the switches are this namespace's
    expect(calls).toEqual(['ip path'])
    expect(t.sysctl.bridgeNfIptables).toBe(here('bridge-nf-call-iptables'))
    expect(t.sysctl.bridgeNfIp6tables).toBe(here('bridge-nf-call-ip6tables'))
  })

  it('asks sysctl inside another namespace', async () => {
    // Given a bridge in a namespace that is not this process's
    const calls: string[] = []
    fake(calls)
    // When its topology is read
    const t = await startTopologyRead('container.x', {kind: 'path', path: '/nonexistent/dockwall-netns'}).topology
    // Then sysctl ran there, and its answer is used
    expect(calls).toEqual(['ip path', 'sysctl path'])
    expect(t.sysctl.bridgeNfIptables).toBe('1')
  })
})
