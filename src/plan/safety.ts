// Lockout guard: before a plan changes the host's input chain, evaluate the new
// DOCKWALL-INPUT against the operator's own SSH connection (SSH_CONNECTION) and
// refuse a plan that would cut it, unless --allow-lockout.
import type {Plan} from './types.js'

export interface SshConnection {
  clientIp: string
  serverIp: string
  serverPort: number
}

/** SSH_CONNECTION is "client_ip client_port server_ip server_port". */
export function parseSshConnection(value: string | undefined): SshConnection | undefined {
  const parts = value?.trim().split(/\s+/)
  if (!parts || parts.length !== 4) return undefined
  const [clientIp, , serverIp, port] = parts as [string, string, string, string]
  const serverPort = Number(port)
  if (!Number.isInteger(serverPort) || !/^\d+\.\d+\.\d+\.\d+$/.test(clientIp)) return undefined
  return {clientIp, serverIp, serverPort}
}

function ipInCidr(ip: string, cidr: string): boolean {
  const [base, lenText] = cidr.split('/') as [string, string | undefined]
  const len = lenText === undefined ? 32 : Number(lenText)
  const toInt = (x: string): number => x.split('.').reduce((a, p) => a * 256 + Number(p), 0)
  const mask = len === 0 ? 0 : 2 ** 32 - 2 ** (32 - len)
  return (toInt(ip) & mask) >>> 0 === (toInt(base) & mask) >>> 0
}

interface Packet {
  src: string
  dst: string
  proto: 'tcp'
  dport: number
  state: 'NEW' | 'ESTABLISHED'
}

/**
 * Decides one dockwall-written line for a packet: true/false when it matches
 * (accept / drop), undefined when it does not match. Only the options dockwall
 * itself writes are understood; anything else counts as "may match" to stay on the safe side.
 */
function verdict(spec: string, p: Packet): boolean | undefined {
  const words = spec.split(' ')
  let i = 0
  let target: string | undefined
  while (i < words.length) {
    const w = words[i] as string
    const next = words[i + 1] ?? ''
    if (w === '-s' && !ipInCidr(p.src, next)) return undefined
    if (w === '-d' && !ipInCidr(p.dst, next)) return undefined
    if (w === '-i' && next === 'lo') return undefined
    if (w === '-p' && next !== 'tcp' && next !== 'all') return undefined
    if (w === '--dport') {
      const [a, b] = next.split(':').map(Number) as [number, number | undefined]
      if (p.dport < a || p.dport > (b ?? a)) return undefined
    }
    if (w === '--dports') {
      const hit = next.split(',').some((r) => {
        const [a, b] = r.split(':').map(Number) as [number, number | undefined]
        return p.dport >= a && p.dport <= (b ?? a)
      })
      if (!hit) return undefined
    }
    if (w === '--ctstate' && !next.split(',').includes(p.state)) return undefined
    if (w === '-j') target = next
    i += w.startsWith('-') && !['-m'].includes(w) ? 2 : 1
  }
  if (target === 'ACCEPT') return true
  if (target === 'DROP' || target === 'REJECT') return false
  return undefined
}

export interface LockoutFinding {
  state: 'ESTABLISHED' | 'NEW'
  line: string
}

/** Returns what would cut the SSH session (the current one, or a new one from the same client), or nothing. */
export function checkSshLockout(plan: Plan, ssh: SshConnection): LockoutFinding[] {
  const tx = plan.firewall.find((t) => t.namespace === 'host' && t.table === 'filter')
  if (!tx) return []
  const lines = tx.input.split('\n').filter((l) => l.startsWith('-A DOCKWALL-INPUT '))
  if (lines.length === 0) return []
  const findings: LockoutFinding[] = []
  for (const state of ['ESTABLISHED', 'NEW'] as const) {
    const p: Packet = {src: ssh.clientIp, dst: ssh.serverIp, proto: 'tcp', dport: ssh.serverPort, state}
    for (const line of lines) {
      const v = verdict(line.slice('-A DOCKWALL-INPUT '.length), p)
      if (v === true) break
      if (v === false) {
        findings.push({state, line})
        break
      }
    }
  }
  return findings
}
