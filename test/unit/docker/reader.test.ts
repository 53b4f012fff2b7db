// connectDockerReader (src/docker/client.ts): the small read-only Docker client explain
// uses instead of dockerode, against an HTTP server on a unix socket that answers as
// Docker does. Its answers are what dockerode returns (the parsed JSON), and its failures
// read the same through dockerError and isNotFound: an HTTP error keeps its status and
// Docker's message, a missing socket its errno.
import {createServer, type Server} from 'node:http'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {connectDockerReader, dockerError, isNotFound} from '../../../src/docker/client.js'
import {readDocker} from '../../../src/docker/read.js'

const CONTAINER = {
  Id: 'c1',
  Names: ['/web'],
  State: 'running',
  Labels: {a: 'b'},
  NetworkSettings: {Networks: {front: {NetworkID: 'n1', IPAddress: '10.0.0.2'}}},
}
const INSPECT = {
  Id: 'c1',
  Name: '/web',
  State: {Status: 'running', Running: true, Pid: 4242},
  Config: {Labels: {a: 'b'}},
  NetworkSettings: {Networks: {front: {NetworkID: 'n1', IPAddress: '10.0.0.2'}}},
}

describe('connectDockerReader', () => {
  let dir: string
  let server: Server
  const seen: string[] = []
  /** What /_ping answers in its headers (moby's version middleware sets them on every answer). */
  let engineHeaders: Record<string, string> = {}
  let pingStatus = 200
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dockwall-reader-'))
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`)
      const send = (status: number, body: unknown) => {
        res.writeHead(status, {'Content-Type': 'application/json'})
        res.end(JSON.stringify(body))
      }
      if (req.url === '/_ping') {
        res.writeHead(pingStatus, {'Content-Type': 'text/plain', ...engineHeaders})
        res.end(pingStatus === 200 ? 'OK' : 'Forbidden')
      } else if (req.url === '/version') send(200, {Version: '28.5.1', ApiVersion: '1.51'})
      else if (req.url === '/info') send(200, {FirewallBackend: {Driver: 'iptables'}})
      else if (req.url === '/networks') send(200, [{Name: 'front', Id: 'n1', Driver: 'bridge', IPAM: {Config: []}}])
      else if (req.url === '/containers/json?all=1') send(200, [CONTAINER])
      else if (req.url === '/containers/c1/json') send(200, INSPECT)
      else send(404, {message: `No such container: ${req.url}`})
    })
    await new Promise<void>((resolve) => server.listen(join(dir, 'docker.sock'), resolve))
  })
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
    rmSync(dir, {recursive: true, force: true})
  })

  it('reads Docker as dockerode does: version, info, networks, containers and their inspects', async () => {
    engineHeaders = {}
    const conn = await connectDockerReader(`unix://${join(dir, 'docker.sock')}`)
    expect(conn.display).toBe(`unix://${join(dir, 'docker.sock')}`)
    const snap = await readDocker(conn, {inspect: 'all'})
    expect(snap.engine).toEqual({version: '28.5.1', apiVersion: '1.51', firewallBackend: 'iptables'})
    expect(snap.networks.map((n) => n.name)).toEqual(['front'])
    expect(snap.containers).toMatchObject([{id: 'c1', name: 'web', status: 'running', pid: 4242, inspected: true}])
    expect(seen).toContain('GET /containers/c1/json')
  })

  describe("the engine from /_ping's headers", () => {
    const read = async (headers: Record<string, string>) => {
      engineHeaders = headers
      seen.length = 0
      const conn = await connectDockerReader(`unix://${join(dir, 'docker.sock')}`)
      return (await readDocker(conn, {inspect: []})).engine
    }

    it('before Docker 28: neither /version nor /info (20-40 ms each on dockerd) is asked', async () => {
      const engine = await read({Server: 'Docker/20.10.24+dfsg1 (linux)', 'Api-Version': '1.41'})
      expect(engine).toEqual({version: '20.10.24+dfsg1', apiVersion: '1.41'})
      expect(seen).toContain('GET /_ping')
      expect(seen).not.toContain('GET /version')
      expect(seen).not.toContain('GET /info')
    })

    it('Docker 28 and later: /info for the firewall backend, not /version', async () => {
      const engine = await read({Server: 'Docker/28.5.2+dfsg4 (linux)', 'Api-Version': '1.51'})
      expect(engine).toEqual({version: '28.5.2+dfsg4', apiVersion: '1.51', firewallBackend: 'iptables'})
      expect(seen).toContain('GET /info')
      expect(seen).not.toContain('GET /version')
    })

    it('a /_ping refused (a socket proxy that allows /version and /info): /version and /info, as before', async () => {
      pingStatus = 403
      try {
        const engine = await read({Server: 'Docker/20.10.24+dfsg1 (linux)', 'Api-Version': '1.41'})
        expect(engine).toEqual({version: '28.5.1', apiVersion: '1.51', firewallBackend: 'iptables'})
        expect(seen).toEqual(expect.arrayContaining(['GET /_ping', 'GET /version', 'GET /info']))
      } finally {
        pingStatus = 200
      }
    })

    it.each([
      ['no headers (a proxy in between)', {}],
      ['another server', {Server: 'nginx/1.22.1', 'Api-Version': '1.41'}],
      ['no API version', {Server: 'Docker/20.10.24+dfsg1 (linux)'}],
      ['a server version that is not one', {Server: 'Docker/dev (linux)', 'Api-Version': '1.41'}],
    ])('%s: /version and /info, as before', async (_what, headers) => {
      const engine = await read(headers)
      expect(engine).toEqual({version: '28.5.1', apiVersion: '1.51', firewallBackend: 'iptables'})
      expect(seen).toEqual(expect.arrayContaining(['GET /_ping', 'GET /version', 'GET /info']))
    })
  })

  it("keeps an HTTP error's status and Docker's message", async () => {
    const conn = await connectDockerReader(join(dir, 'docker.sock'))
    const err = await conn.client
      .getContainer('gone')
      .inspect()
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(isNotFound(err)).toBe(true)
    expect(dockerError(err, conn.display, 'inspecting container gone').message).toBe(
      `Docker Engine at ${conn.display}: inspecting container gone: No such container: /containers/gone/json`,
    )
  })

  it('a missing socket is the same clear line as with dockerode', async () => {
    const conn = await connectDockerReader(`unix://${join(dir, 'nothing.sock')}`)
    const err = await readDocker(conn, {inspect: 'all'}).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect((err as Error).message).toMatch(/no such socket\. Is dockerd running\?/)
  })
})
