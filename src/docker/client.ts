// Connecting to the Docker Engine: DOCKER_HOST / --docker-host parsing and error
// translation. dockerode is imported lazily (about 0.1 s) so commands that never
// talk to Docker do not pay for it.
import type Dockerode from 'dockerode'
import {readFileSync} from 'node:fs'
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
