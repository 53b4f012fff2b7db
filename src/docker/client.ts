// Connecting to the Docker Engine: DOCKER_HOST / --docker-host parsing and error
// translation. dockerode is imported lazily (about 0.1 s) so commands that never
// talk to Docker do not pay for it.
import type Dockerode from 'dockerode'
import {Buffer} from 'node:buffer'
import {readFileSync} from 'node:fs'
import type {IncomingHttpHeaders} from 'node:http'
import path from 'node:path'

import {AbortError, ExternalError} from '../errors.js'

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock'

export type DockerEndpointConfig =
  {kind: 'unix'; socketPath: string} | {kind: 'tcp'; host: string; port: number; tls: boolean}

/** Parses a Docker host URL the way the docker CLI accepts it (unix://, tcp://, a bare socket path). */
export function parseDockerHost(
  url: string | undefined,
  env: Record<string, string | undefined> = process.env,
): DockerEndpointConfig {
  const value = (url ?? '').trim() || DEFAULT_DOCKER_HOST
  if (value.startsWith('/')) return {kind: 'unix', socketPath: value}
  if (value.startsWith('unix://')) {
    const socketPath = value.slice('unix://'.length)
    if (!socketPath.startsWith('/'))
      throw new AbortError(`Docker host ${value}: a unix socket path must be absolute`, 'unix:///var/run/docker.sock')
    return {kind: 'unix', socketPath}
  }
  const m = /^(tcp|https?):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(value)
  if (m) {
    const tls = m[1] === 'https' || Boolean(env.DOCKER_TLS_VERIFY)
    const port = m[3] ? Number(m[3]) : tls ? 2376 : 2375
    return {kind: 'tcp', host: (m[2] as string).replace(/^\[|\]$/g, ''), port, tls}
  }
  throw new AbortError(`unsupported Docker host "${value}"`, 'use unix:///path/to/docker.sock or tcp://host:port')
}

export interface DockerConnection {
  client: Dockerode
  /** Human form for messages, e.g. unix:///var/run/docker.sock. */
  display: string
}

/**
 * The engine as the headers of every API response name it (moby's version middleware):
 * `Server: Docker/20.10.24+dfsg1 (linux)` and `Api-Version: 1.41`, the Version and
 * ApiVersion of GET /version. Either may be missing (a proxy in between).
 */
export interface EngineHeaders {
  server?: string
  apiVersion?: string
}

/** The calls that read Docker (src/docker/read.ts): dockerode has them, and so does the small reader below. */
export interface DockerReadClient {
  /**
   * GET /_ping's headers: the small reader only. /_ping answers in about 2 ms where
   * /version and /info take 20-40 ms each (dockerd runs runc and docker-init to fill them).
   */
  ping?(): Promise<EngineHeaders>
  version(): Promise<Dockerode.DockerVersion>
  info(): Promise<unknown>
  listNetworks(): Promise<Dockerode.NetworkInspectInfo[]>
  listContainers(opts: {all: boolean}): Promise<Dockerode.ContainerInfo[]>
  getContainer(id: string): {inspect(): Promise<Dockerode.ContainerInspectInfo>}
}

export interface DockerReader {
  client: DockerReadClient
  display: string
}

/**
 * A connection for commands that only read (explain): GETs of Docker's API over its unix
 * socket or plain TCP with node:http, instead of dockerode, whose load (ssh2, grpc,
 * protobufjs; about 0.2 s of CPU) costs more than the reads. TLS goes through dockerode.
 * Failures look like dockerode's (code of a socket error; statusCode and json of an HTTP
 * one), so dockerError and isNotFound read them the same.
 */
export async function connectDockerReader(
  url: string | undefined,
  env: Record<string, string | undefined> = process.env,
): Promise<DockerReader> {
  const cfg = parseDockerHost(url, env)
  if (cfg.kind === 'tcp' && cfg.tls) return connectDocker(url, env)
  const {request} = await import('node:http')
  // agent: false: one connection per call, closed after it (nothing left to keep the process alive).
  // servername '' (an agent option @types/node leaves out): else node's agent derives a TLS server
  // name from the Host header with net.isIP, whose IPv6 pattern compiles on first use (about
  // 14 ms of a small plan); plain HTTP needs none.
  const base = {
    ...(cfg.kind === 'unix' ? {socketPath: cfg.socketPath} : {host: cfg.host, port: cfg.port}),
    method: 'GET',
    agent: false,
    servername: '',
    headers: {Host: 'docker'},
  }
  interface Response {
    status: number
    text: string
    headers: IncomingHttpHeaders
  }
  const send = (path: string): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const req = request({...base, path}, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        res.on('end', () =>
          resolve({status: res.statusCode ?? 500, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers}),
        )
      })
      req.on('error', reject)
      req.end()
    })
  /** The answer's JSON, or an error shaped as dockerode's (statusCode, json.message). */
  const answer = ({status, text}: Response): unknown => {
    let json: unknown
    try {
      json = text === '' ? undefined : JSON.parse(text)
    } catch (err) {
      if (status < 400) throw err
    }
    if (status < 400) return json
    const message = (json as {message?: unknown} | undefined)?.message
    throw Object.assign(new Error(`(HTTP code ${status}) ${typeof message === 'string' ? message : text.trim()}`), {
      statusCode: status,
      json: typeof message === 'string' ? {message} : undefined,
    })
  }
  const get = async <T>(path: string): Promise<T> => answer(await send(path)) as T
  const client: DockerReadClient = {
    ping: async () => {
      const res = await send('/_ping')
      // Its body is `OK`, not JSON: only a failure is read as one.
      if (res.status >= 400) answer(res)
      const header = (name: string) => (typeof res.headers[name] === 'string' ? res.headers[name] : undefined)
      return {server: header('server'), apiVersion: header('api-version')}
    },
    version: () => get('/version'),
    info: () => get('/info'),
    listNetworks: () => get('/networks'),
    listContainers: (opts) => get(`/containers/json?all=${opts.all ? 1 : 0}`),
    getContainer: (id) => ({inspect: () => get(`/containers/${encodeURIComponent(id)}/json`)}),
  }
  const display = cfg.kind === 'unix' ? `unix://${cfg.socketPath}` : `tcp://${cfg.host}:${cfg.port}`
  return {client, display}
}

export async function connectDocker(
  url: string | undefined,
  env: Record<string, string | undefined> = process.env,
): Promise<DockerConnection> {
  const cfg = parseDockerHost(url, env)
  const {default: Docker} = await import('dockerode')
  if (cfg.kind === 'unix')
    return {client: new Docker({socketPath: cfg.socketPath}), display: `unix://${cfg.socketPath}`}
  const opts: Dockerode.DockerOptions = {host: cfg.host, port: cfg.port, protocol: cfg.tls ? 'https' : 'http'}
  if (cfg.tls && env.DOCKER_CERT_PATH) {
    const dir = env.DOCKER_CERT_PATH
    opts.ca = readFileSync(path.join(dir, 'ca.pem'))
    opts.cert = readFileSync(path.join(dir, 'cert.pem'))
    opts.key = readFileSync(path.join(dir, 'key.pem'))
  }
  return {client: new Docker(opts), display: `${cfg.tls ? 'https' : 'tcp'}://${cfg.host}:${cfg.port}`}
}

interface ErrnoLike {
  code?: string
  statusCode?: number
  message?: string
  json?: {message?: string}
}

/** Turns a dockerode/socket failure into one clear line. */
export function dockerError(err: unknown, display: string, doing: string): ExternalError {
  const e = (err ?? {}) as ErrnoLike
  if (e.code === 'ENOENT')
    return new ExternalError(
      `Cannot connect to the Docker Engine at ${display}: no such socket. Is dockerd running? Set DOCKER_HOST or --docker-host.`,
    )
  if (e.code === 'ECONNREFUSED')
    return new ExternalError(
      `Cannot connect to the Docker Engine at ${display}: connection refused. Is dockerd running? Set DOCKER_HOST or --docker-host.`,
    )
  if (e.code === 'EACCES')
    return new ExternalError(
      `Cannot connect to the Docker Engine at ${display}: permission denied (run as root or a member of the docker group).`,
    )
  const detail = e.json?.message ?? e.message ?? String(err)
  return new ExternalError(`Docker Engine at ${display}: ${doing}: ${detail.trim()}`)
}

/** True for Docker's "no such container/network" answers. */
export function isNotFound(err: unknown): boolean {
  return (err as ErrnoLike | undefined)?.statusCode === 404
}
