// readDocker (src/docker/read.ts) against a stubbed dockerode: the races and failures
// a real engine produces only by bad luck. A container removed between the list call
// and its inspect is reported as gone; a stopped one as exited, without a PID; a
// socket that is missing or refuses becomes one clear line.
import type Dockerode from 'dockerode'
import {describe, expect, it} from 'vitest'

import {dockerError, type DockerConnection} from '../../../src/docker/client.js'
import {listDocker, readDocker} from '../../../src/docker/read.js'
import {ExternalError} from '../../../src/errors.js'
import {renderError} from '../../../src/cli/render-error.js'

interface StubContainer {
  id: string
  name: string
  state: 'running' | 'exited' | 'created' | 'restarting'
  pid?: number
  network?: {name: string; ip?: string; static?: string; aliases?: string[]}
  /** What inspect does: answer (default), 404 (removed since the list), or another failure. */
  inspect?: 'ok' | 'gone' | 'error'
}

function wireNetworks(c: StubContainer) {
  if (!c.network) return {}
  const running = c.state === 'running'
  return {
    [c.network.name]: {
      NetworkID: `net-${c.network.name}`,
      IPAddress: running ? (c.network.ip ?? '') : '',
      IPAMConfig: c.network.static ? {IPv4Address: c.network.static} : null,
      Aliases: c.network.aliases ?? null,
    },
  }
}

function httpError(statusCode: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), {statusCode, json: {message}})
}

function stub(
  containers: StubContainer[],
  opts: {listError?: Error} = {},
): {conn: DockerConnection; inspected: string[]} {
  const inspected: string[] = []
  const client = {
    version: async () => ({Version: '20.10.24', ApiVersion: '1.41'}),
    info: async () => ({}),
    listNetworks: async () => {
      if (opts.listError) throw opts.listError
      return [
        {
          Id: 'net-front',
          Name: 'front',
          Driver: 'bridge',
          Scope: 'local',
          Internal: false,
          IPAM: {Config: [{Subnet: '10.1.0.0/24', Gateway: '10.1.0.1'}]},
          Labels: {},
          Options: {},
        },
      ]
    },
    listContainers: async () => {
      if (opts.listError) throw opts.listError
      return containers.map((c) => ({
        Id: c.id,
        Names: [`/${c.name}`],
        State: c.state,
        Labels: {},
        NetworkSettings: {Networks: wireNetworks(c)},
      }))
    },
    getContainer: (id: string) => ({
      inspect: async () => {
        inspected.push(id)
        const c = containers.find((x) => x.id === id)
        if (!c || c.inspect === 'gone') throw httpError(404, `No such container: ${id}`)
        if (c.inspect === 'error') throw httpError(500, 'driver failed')
        const running = c.state === 'running'
        return {
          Id: c.id,
          Name: `/${c.name}`,
          State: {Status: c.state, Running: running, Pid: running ? (c.pid ?? 0) : 0},
          Config: {Labels: {}},
          NetworkSettings: {Networks: wireNetworks(c)},
        }
      },
    }),
  }
  return {conn: {client: client as unknown as Dockerode, display: 'unix:///run/stub.sock'}, inspected}
}

describe('readDocker', () => {
  it('takes the lists and inspects started early (a session, before the state is read), and inspects only what they lack', async () => {
    const running = (id: string, name: string, pid: number): StubContainer => ({
      id: id.repeat(64),
      name,
      state: 'running',
      pid,
      network: {name: 'front', ip: `10.1.0.${pid}`},
    })
    const {conn, inspected} = stub([running('a', 'web', 2), running('b', 'db', 3), running('c', 'cache', 4)])
    // The session inspects the configuration's containers with the lists
    const early = listDocker(conn, ['web'])
    await early
    expect(inspected).toEqual(['a'.repeat(64)])
    // The refresh adds db (the state wrote rules in its namespace): one more inspect, not two
    const snapshot = await readDocker(conn, {inspect: ['web', 'db']}, early)
    expect(inspected).toEqual(['a'.repeat(64), 'b'.repeat(64)])
    expect(snapshot.containers.map((c) => [c.name, c.inspected ?? false, c.pid])).toEqual([
      ['cache', false, undefined],
      ['db', true, 3],
      ['web', true, 2],
    ])
    // The same snapshot as a read that started late
    expect(await readDocker(conn, {inspect: ['web', 'db']})).toEqual(snapshot)
  })

  it('an early read that failed fails the refresh with the same clear line', async () => {
    const {conn} = stub([], {listError: Object.assign(new Error('connect ENOENT /run/stub.sock'), {code: 'ENOENT'})})
    const early = listDocker(conn, ['web'])
    early.catch(() => {})
    await expect(readDocker(conn, {inspect: ['web']}, early)).rejects.toThrow(/unix:\/\/\/run\/stub.sock/)
  })

  it('reports a container removed between the list call and its inspect as gone, and reads the rest', async () => {
    // Given two containers the configuration names; "lb" is removed after the list call
    const {conn} = stub([
      {
        id: 'a'.repeat(64),
        name: 'lb',
        state: 'running',
        pid: 101,
        network: {name: 'front', ip: '10.1.0.2', static: '10.1.0.2'},
        inspect: 'gone',
      },
      {
        id: 'b'.repeat(64),
        name: 'web',
        state: 'running',
        pid: 202,
        network: {name: 'front', ip: '10.1.0.3', aliases: ['www']},
      },
    ])
    // When refresh reads Docker
    const snapshot = await readDocker(conn, {inspect: ['lb', 'web']})
    // Then lb is gone (no crash, no addresses), web is read in detail
    expect(snapshot.containers).toEqual([
      {id: 'a'.repeat(64), name: 'lb', status: 'gone', endpoints: [], labels: {}, inspected: true},
      {
        id: 'b'.repeat(64),
        name: 'web',
        status: 'running',
        pid: 202,
        labels: {},
        inspected: true,
        endpoints: [{networkId: 'net-front', networkName: 'front', ipv4Address: '10.1.0.3', aliases: ['www']}],
      },
    ])
  })

  it('reads the aliases given at connect time alike on every engine: the id forms 20.10 adds are dropped', async () => {
    const id = 'f'.repeat(64)
    // Docker 20.10's inspect: the given aliases plus the short id (26 and later: the given ones only)
    const {conn} = stub([
      {
        id,
        name: 'web',
        state: 'running',
        pid: 7,
        network: {name: 'front', ip: '10.1.0.4', aliases: ['www', 'web', id.slice(0, 12)]},
      },
    ])
    const [web] = (await readDocker(conn, {inspect: ['web']})).containers
    expect(web?.endpoints[0]?.aliases).toEqual(['web', 'www'])
  })

  it('reports a stopped container as exited, without PID or current address, keeping its static address', async () => {
    const {conn} = stub([
      {id: 'c'.repeat(64), name: 'db', state: 'exited', network: {name: 'front', ip: '10.1.0.9', static: '10.1.0.9'}},
    ])
    const [db] = (await readDocker(conn, {inspect: ['db']})).containers
    expect(db).toEqual({
      id: 'c'.repeat(64),
      name: 'db',
      status: 'exited',
      labels: {},
      inspected: true,
      endpoints: [{networkId: 'net-front', networkName: 'front', staticIpv4Address: '10.1.0.9', aliases: []}],
    })
    expect(db).not.toHaveProperty('pid')
  })

  it('inspects only the containers asked for; the others come from the list call', async () => {
    const {conn, inspected} = stub([
      {id: 'd'.repeat(64), name: 'named', state: 'running', pid: 5},
      {id: 'e'.repeat(64), name: 'other', state: 'running', pid: 6},
    ])
    const snapshot = await readDocker(conn, {inspect: ['named']})
    expect(inspected).toEqual(['d'.repeat(64)])
    expect(snapshot.containers.map((c) => [c.name, c.inspected, c.pid ?? null])).toEqual([
      ['named', true, 5],
      ['other', false, null],
    ])
  })

  it('fails with one clear line when an inspect fails for another reason', async () => {
    const {conn} = stub([{id: 'f'.repeat(64), name: 'web', state: 'running', pid: 7, inspect: 'error'}])
    const error = await readDocker(conn, {inspect: ['web']}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ExternalError)
    expect((error as Error).message).toBe(
      'Docker Engine at unix:///run/stub.sock: inspecting container web: driver failed',
    )
  })

  it.each([
    [
      'ENOENT',
      'Error: Cannot connect to the Docker Engine at unix:///run/stub.sock: no such socket. Is dockerd running? Set DOCKER_HOST or --docker-host.\n',
    ],
    [
      'ECONNREFUSED',
      'Error: Cannot connect to the Docker Engine at unix:///run/stub.sock: connection refused. Is dockerd running? Set DOCKER_HOST or --docker-host.\n',
    ],
    [
      'EACCES',
      'Error: Cannot connect to the Docker Engine at unix:///run/stub.sock: permission denied (run as root or a member of the docker group).\n',
    ],
  ])('turns %s on the socket into one line for the user', async (code, printed) => {
    const {conn} = stub([], {listError: Object.assign(new Error(`connect ${code} /run/stub.sock`), {code})})
    const error = await readDocker(conn, {inspect: 'all'}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ExternalError)
    expect(renderError(error)).toBe(printed)
  })

  it("trims the trailing newline of Docker's message", () => {
    const e = dockerError(httpError(500, 'first line\n'), 'unix:///x.sock', 'listing networks')
    expect(e.message).toBe('Docker Engine at unix:///x.sock: listing networks: first line')
  })
})
