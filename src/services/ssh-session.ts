// The operator's SSH session, which the lockout guard protects: from `--ssh-client`,
// else SSH_CONNECTION, else the SSH_CONNECTION of an ancestor process (sudo drops it
// from the environment; the shell that ran sudo still has it). A value that cannot be
// read is an error: a guard that silently ignored it would be off exactly when it matters.
import {readFile} from 'node:fs/promises'

import {formatIp, parseIp} from '../explain/addr.js'
import {AbortError} from '../errors.js'
import type {Family} from '../model/types.js'

export interface SshSession {
  family: Family
  /** Canonical client address (an IPv4-mapped IPv6 address is its IPv4 address). */
  clientIp: string
  /** The client's source port, when known (SSH_CONNECTION has it). */
  clientPort?: number
  /** The address the client connected to; absent with --ssh-client (then: the host's address toward the client). */
  serverIp?: string
  serverPort: number
  /** Where it came from, for messages: `SSH_CONNECTION`, `--ssh-client`, `SSH_CONNECTION of process 812 (bash)`. */
  source: string
}

const DEFAULT_SSH_PORT = 22

/** Printable, whatever the input held (it goes into an error message). */
function shown(value: string): string {
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value)
}

function port(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return undefined
  const n = Number(text)
  return n >= 1 && n <= 65535 ? n : undefined
}

/** An address as sshd prints it: IPv4, IPv6, IPv4-mapped IPv6; a `%zone` suffix is dropped. */
function address(text: string): {ip: string; family: Family} | undefined {
  const ip = parseIp(text.replace(/%[A-Za-z0-9_.-]{1,15}$/, ''))
  return ip ? {ip: formatIp(ip), family: ip.family} : undefined
}

/** SSH_CONNECTION is `CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT`. Throws on anything else. */
export function parseSshConnection(value: string, source = 'SSH_CONNECTION'): SshSession {
  const parts = value.trim().split(/\s+/)
  const client = parts.length === 4 ? address(parts[0]!) : undefined
  const server = parts.length === 4 ? address(parts[2]!) : undefined
  const clientPort = port(parts[1])
  const serverPort = port(parts[3])
  if (!client || !server || clientPort === undefined || serverPort === undefined || client.family !== server.family)
    throw new AbortError(
      `${source} is ${shown(value)}, not "CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT": the SSH lockout guard cannot tell which session to protect`,
      'pass the address you connect from with --ssh-client ADDR[:PORT] (PORT: the SSH server port, default 22), or unset SSH_CONNECTION if this is not an SSH session',
    )
  return {
    family: client.family,
    clientIp: client.ip,
    clientPort,
    serverIp: server.ip,
    serverPort,
    source,
  }
}

/** `--ssh-client ADDR[:PORT]`: `10.0.0.5`, `10.0.0.5:2222`, `2001:db8::5`, `[2001:db8::5]:2222`. */
export function parseSshClient(value: string): SshSession {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(value)
  const v4port = /^([^:]+):(\d+)$/.exec(value)
  const [addrText, portText] = bracket
    ? [bracket[1]!, bracket[2]]
    : v4port
      ? [v4port[1]!, v4port[2]]
      : [value, undefined]
  const a = address(addrText)
  const p = portText === undefined ? DEFAULT_SSH_PORT : port(portText)
  if (!a || p === undefined)
    throw new AbortError(
      `--ssh-client ${shown(value)} is not ADDR[:PORT] (an IPv4 or IPv6 address, IPv6 with a port in brackets: [2001:db8::5]:22)`,
      'give the address your SSH connection comes from, e.g. --ssh-client 203.0.113.7 or --ssh-client 203.0.113.7:2222',
    )
  return {family: a.family, clientIp: a.ip, serverPort: p, source: '--ssh-client'}
}

interface ProcInfo {
  ppid: number
  comm: string
  ssh?: string
}

async function readProc(pid: number): Promise<ProcInfo | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, the last `)` ends it.
    const close = stat.lastIndexOf(')')
    const comm = stat.slice(stat.indexOf('(') + 1, close)
    const ppid = Number(stat.slice(close + 2).split(' ')[1])
    const info: ProcInfo = {ppid, comm}
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '')
    const entry = environ.split('\0').find((e) => e.startsWith('SSH_CONNECTION='))
    if (entry !== undefined) info.ssh = entry.slice('SSH_CONNECTION='.length)
    return info
  } catch {
    return undefined
  }
}

/** The nearest ancestor of `pid` whose environment holds SSH_CONNECTION (sudo, su and doas leave it there). */
export async function ancestorSshConnection(pid = process.ppid): Promise<{value: string; source: string} | undefined> {
  let current = pid
  for (let depth = 0; depth < 64 && current > 1; depth++) {
    const info = await readProc(current)
    if (!info) return undefined
    if (info.ssh !== undefined && info.ssh.trim() !== '')
      return {value: info.ssh, source: `SSH_CONNECTION of process ${current} (${info.comm}), an ancestor of dockwall`}
    current = info.ppid
  }
  return undefined
}

export interface FindSshOptions {
  /** `--ssh-client`. */
  flag?: string | undefined
  env: NodeJS.ProcessEnv
  /** Look up the process tree when SSH_CONNECTION is unset (default true). */
  ancestors?: boolean
}

/**
 * The session to protect, or undefined when there is none. SSH_CONNECTION set but empty
 * means "no SSH session" (and stops the search of the ancestors); set to anything else
 * that is not a connection, it is an error.
 */
export async function findSshSession(opts: FindSshOptions): Promise<SshSession | undefined> {
  if (opts.flag !== undefined) return parseSshClient(opts.flag)
  const value = opts.env.SSH_CONNECTION
  if (value !== undefined) return value.trim() === '' ? undefined : parseSshConnection(value)
  if (opts.ancestors === false) return undefined
  const found = await ancestorSshConnection()
  return found ? parseSshConnection(found.value, found.source) : undefined
}

/** `203.0.113.7:51234 → 198.51.100.1:22 (SSH_CONNECTION)`; `serverIp`: the address evaluated when the session has none. */
export function describeSession(s: SshSession, serverIp = s.serverIp): string {
  const host = (ip: string): string => (ip.includes(':') ? `[${ip}]` : ip)
  const from = s.clientPort === undefined ? s.clientIp : `${host(s.clientIp)}:${s.clientPort}`
  const to = serverIp ? `${host(serverIp)}:${s.serverPort}` : `port ${s.serverPort}`
  return `${from} → ${to} (${s.source})`
}
