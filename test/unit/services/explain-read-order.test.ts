// readHostAsIs (src/services/explain-host.ts): `dockwall explain` reads each namespace's
// interfaces and routes while the host's saves are read (a 20,000-rule nft save is the
// longest read of all, issue 16), not after them: the topology needs no backend.
import {afterEach, describe, expect, it, vi} from 'vitest'

import type {DockerReader} from '../../../src/docker/client.js'
import {readDockerProxies} from '../../../src/docker/proxies.js'
import type {NamespaceSaves} from '../../../src/refresh/namespace.js'
import {readHostAsIs} from '../../../src/services/explain-host.js'
import {run, type RunOptions, type RunResult} from '../../../src/util/exec.js'
import {readNamespaceSaves} from '../../../src/refresh/namespace.js'
import {parseEndpoint, type Question} from '../../../src/explain/index.js'
import {readProcNet} from '../../../src/util/netns.js'

vi.mock('../../../src/util/exec.js', async (importOriginal) => ({
  ...(await importOriginal<Record<string, unknown>>()),
  run: vi.fn(),
}))
vi.mock('../../../src/docker/proxies.js', async (importOriginal) => ({
  ...(await importOriginal<Record<string, unknown>>()),
  readDockerProxies: vi.fn(() => []),
}))
vi.mock('../../../src/refresh/namespace.js', async (importOriginal) => ({
  ...(await importOriginal<Record<string, unknown>>()),
  readNamespaceSaves: vi.fn(),
}))

vi.mock('../../../src/util/netns.js', async (importOriginal) => ({
  ...(await importOriginal<Record<string, unknown>>()),
  readProcNet: vi.fn(() => undefined),
}))

const PID = 4242

/** What `ip -j -d -batch -` prints for link, addr, route and netconf: one interface, lo. */
const IP_BATCH_OUT = '[{"ifindex":1,"ifname":"lo"}]\n[{"ifname":"lo","addr_info":[]}]\n[]\n[]\n'

function reader(): DockerReader {
  const client = {
    version: async () => ({Version: '20.10.24', ApiVersion: '1.41'}),
    info: async () => ({}),
    listNetworks: async () => [],
    listContainers: async () => [
      {Id: 'c'.repeat(64), Names: ['/web'], State: 'running', Labels: {}, NetworkSettings: {Networks: {}}},
    ],
    getContainer: () => ({
      inspect: async () => ({
        Id: 'c'.repeat(64),
        Name: '/web',
        State: {Status: 'running', Running: true, Pid: PID},
        Config: {Labels: {}},
        NetworkSettings: {Networks: {}},
      }),
    }),
  }
  return {client: client as unknown as DockerReader['client'], display: 'unix:///run/stub.sock'}
}

afterEach(() => {
  vi.mocked(run).mockReset()
  vi.mocked(readNamespaceSaves).mockReset()
  vi.mocked(readDockerProxies).mockClear()
  vi.mocked(readProcNet).mockReset()
})

/** A question naming the container web. */
const TO_WEB: Question = {
  from: parseEndpoint('host', 'FROM'),
  to: parseEndpoint('container.web', 'TO'),
  proto: 'tcp',
  port: 80,
}

/** One filter rule: a save the evaluator reads back. */
const saveOf = (comment: string): string =>
  `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment ${comment} -j ACCEPT\nCOMMIT\n`

describe('readHostAsIs', () => {
  it("reads the host's and each container's interfaces while the host's saves are still being read", async () => {
    // Given a host whose saves take their time, and Docker with one running container
    const calls: string[] = []
    vi.mocked(run).mockImplementation(
      async (file: string, _args: readonly string[], opts: RunOptions = {}): Promise<RunResult> => {
        calls.push(`${file} ${opts.netns?.kind === 'pid' ? `pid ${opts.netns.pid}` : 'host'}`)
        if (file !== 'ip') throw new Error(`unexpected ${file}`)
        return {stdout: IP_BATCH_OUT, stderr: '', exitCode: 0, command: [file]}
      },
    )
    let savesRead: (s: NamespaceSaves) => void = () => {}
    vi.mocked(readNamespaceSaves).mockReturnValue(new Promise<NamespaceSaves>((resolve) => (savesRead = resolve)))
    // When explain reads the host as it is
    const reading = readHostAsIs({
      docker: reader(),
      host: {kind: 'path', path: '/nonexistent/dockwall-test-netns'},
      backend: 'auto',
      model: null,
      state: null,
    })
    // Then both namespaces' `ip -batch` run before the saves are back
    await vi.waitFor(() => expect(calls).toEqual(expect.arrayContaining(['ip host', `ip pid ${PID}`])))
    savesRead({backend: 'nft', reason: 'test', v4: {nft: ''}, v6: {nft: ''}})
    const asIs = await reading
    // And the host is read as before: each namespace once, the container's rules deferred
    expect(calls.sort()).toEqual(['ip host', `ip pid ${PID}`])
    expect(asIs.host.namespaces.map((n) => [n.id, n.deferred ?? []])).toEqual([
      ['host', []],
      ['container.web', ['ipv4']],
    ])
  })

  it("starts the host's saves before any other process, and scans for docker-proxies while they are read", async () => {
    // Given a host whose saves take their time, and Docker with one running container
    const calls: string[] = []
    vi.mocked(run).mockImplementation(async (file: string): Promise<RunResult> => {
      calls.push(file)
      return {stdout: IP_BATCH_OUT, stderr: '', exitCode: 0, command: [file]}
    })
    let savesRead: (s: NamespaceSaves) => void = () => {}
    vi.mocked(readNamespaceSaves).mockImplementation(async () => {
      // As the real one: its processes start a few microtasks after the call.
      for (let i = 0; i < 3; i++) await Promise.resolve()
      calls.push('saves')
      return new Promise<NamespaceSaves>((resolve) => (savesRead = resolve))
    })
    vi.mocked(readDockerProxies).mockImplementation(() => {
      calls.push('proxies')
      return []
    })
    // When explain reads the host as it is
    const reading = readHostAsIs({
      docker: reader(),
      host: {kind: 'path', path: '/nonexistent/dockwall-test-netns'},
      backend: 'auto',
      model: null,
      state: null,
    })
    // Then the saves' processes start first, and the proxies are scanned before the saves are back
    await vi.waitFor(() => expect(calls).toContain('proxies'))
    await vi.waitFor(() => expect(calls).toContain('ip'))
    expect(calls[0]).toBe('saves')
    savesRead({backend: 'nft', reason: 'test', v4: {nft: ''}, v6: {nft: ''}})
    await reading
    // And only once
    expect(calls.filter((c) => c === 'proxies')).toHaveLength(1)
  })

  it.each([
    ['nft', undefined, 'nft'],
    ['auto', [] as string[], 'nft'],
    ['auto', ['filter'], 'legacy'],
  ] as const)(
    "starts the IPv4 save of a container the question names while the host's saves are read (%s, host legacy tables %j)",
    async (setting, legacyTables, backend) => {
      // Given a host whose saves take their time, and Docker with the container the question names
      const calls: string[] = []
      vi.mocked(readProcNet).mockReturnValue(legacyTables === undefined ? undefined : [...legacyTables])
      vi.mocked(run).mockImplementation(
        async (file: string, _args: readonly string[], opts: RunOptions = {}): Promise<RunResult> => {
          calls.push(`${file} ${opts.netns?.kind === 'pid' ? `pid ${opts.netns.pid}` : 'host'}`)
          return {stdout: file === 'ip' ? IP_BATCH_OUT : saveOf(file), stderr: '', exitCode: 0, command: [file]}
        },
      )
      let savesRead: (s: NamespaceSaves) => void = () => {}
      vi.mocked(readNamespaceSaves).mockReturnValue(new Promise<NamespaceSaves>((resolve) => (savesRead = resolve)))
      // When explain reads the host for a question about it
      const reading = readHostAsIs({
        docker: reader(),
        host: {kind: 'path', path: '/nonexistent/dockwall-test-netns'},
        backend: setting,
        model: null,
        state: null,
        question: TO_WEB,
      })
      // Then its save, with the backend the host's saves will choose, starts before they are back
      await vi.waitFor(() => expect(calls).toContain(`iptables-${backend}-save pid ${PID}`))
      savesRead({backend, reason: 'test', v4: {[backend]: ''}, v6: {[backend]: ''}})
      const asIs = await reading
      // And it is that save the container's rules come from, read once
      expect(calls.filter((c) => c.includes('save'))).toEqual([`iptables-${backend}-save pid ${PID}`])
      const web = asIs.host.namespaces.find((n) => n.id === 'container.web')
      expect(web?.deferred).toBeUndefined()
      expect(JSON.stringify(web?.rulesets.ipv4, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).toContain(
        `iptables-${backend}-save`,
      )
    },
  )

  it('reads the container again when the host chooses another backend than foreseen', async () => {
    // Given a host without legacy tables whose saves choose legacy all the same (as the system's default)
    const calls: string[] = []
    vi.mocked(readProcNet).mockReturnValue([])
    vi.mocked(run).mockImplementation(
      async (file: string, _args: readonly string[], opts: RunOptions = {}): Promise<RunResult> => {
        calls.push(`${file} ${opts.netns?.kind === 'pid' ? `pid ${opts.netns.pid}` : 'host'}`)
        return {stdout: file === 'ip' ? IP_BATCH_OUT : saveOf(file), stderr: '', exitCode: 0, command: [file]}
      },
    )
    vi.mocked(readNamespaceSaves).mockResolvedValue({
      backend: 'legacy',
      reason: 'test',
      v4: {legacy: ''},
      v6: {legacy: ''},
    })
    // When explain reads the host for a question about the container
    const asIs = await readHostAsIs({
      docker: reader(),
      host: {kind: 'path', path: '/nonexistent/dockwall-test-netns'},
      backend: 'auto',
      model: null,
      state: null,
      question: TO_WEB,
    })
    // Then the container's rules are the legacy save's, as the host's backend says
    expect(calls.filter((c) => c.includes('save')).sort()).toEqual([
      `iptables-legacy-save pid ${PID}`,
      `iptables-nft-save pid ${PID}`,
    ])
    const web = asIs.host.namespaces.find((n) => n.id === 'container.web')
    expect(JSON.stringify(web?.rulesets.ipv4, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).toContain(
      'iptables-legacy-save',
    )
  })
})
