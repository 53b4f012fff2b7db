// What the sandbox needs from the machine, checked up front so a missing piece is
// one clear message that says what to install, not a failure deep inside dockerd.
import {accessSync, closeSync, constants, openSync, readSync, statSync} from 'node:fs'
import {delimiter, join} from 'node:path'

import {AbortError} from '../errors.js'

export const INSTALL_COMMAND = 'apt-get install -y docker.io iptables busybox-static iproute2'

/** Directories searched after $PATH: root's usual PATH, in case the caller's lacks the sbin ones. */
const STANDARD_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']

export function searchPath(): string[] {
  const fromEnv = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir.startsWith('/'))
  return [...new Set([...fromEnv, ...STANDARD_PATH])]
}

/** Absolute path of an executable found on the search path, or undefined. */
export function findExecutable(name: string, dirs: readonly string[] = searchPath()): string | undefined {
  for (const dir of dirs) {
    const candidate = join(dir, name)
    try {
      if (!statSync(candidate).isFile()) continue
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/**
 * Whether an ELF executable has no program interpreter (PT_INTERP), i.e. runs without a
 * dynamic loader: the test image holds nothing but this one binary.
 */
export function isStaticElf(path: string): boolean {
  const fd = openSync(path, 'r')
  try {
    const header = Buffer.alloc(64)
    if (readSync(fd, header, 0, 64, 0) < 64) return false
    if (header.readUInt32BE(0) !== 0x7f454c46) return false // "\x7fELF"
    const is64 = header[4] === 2
    const le = header[5] === 1
    const u16 = (buf: Buffer, off: number) => (le ? buf.readUInt16LE(off) : buf.readUInt16BE(off))
    const u32 = (buf: Buffer, off: number) => (le ? buf.readUInt32LE(off) : buf.readUInt32BE(off))
    const phoff = is64 ? Number(le ? header.readBigUInt64LE(0x20) : header.readBigUInt64BE(0x20)) : u32(header, 0x1c)
    const phentsize = u16(header, is64 ? 0x36 : 0x2a)
    const phnum = u16(header, is64 ? 0x38 : 0x2c)
    const table = Buffer.alloc(phentsize * phnum)
    readSync(fd, table, 0, table.length, phoff)
    for (let i = 0; i < phnum; i++) {
      if (u32(table, i * phentsize) === 3) return false // PT_INTERP
    }
    return true
  } finally {
    closeSync(fd)
  }
}

/** Programs the sandbox runs, each with the Debian package that provides it. */
const REQUIRED: ReadonlyArray<readonly [string, string]> = [
  ['containerd', 'containerd (comes with docker.io)'],
  ['containerd-shim-runc-v2', 'containerd (comes with docker.io)'],
  ['runc', 'runc (comes with docker.io)'],
  ['iptables-legacy', 'iptables'],
  ['iptables-legacy-save', 'iptables'],
  ['iptables-legacy-restore', 'iptables'],
  ['ip6tables-legacy', 'iptables'],
  ['ip6tables-legacy-save', 'iptables'],
  ['ip6tables-legacy-restore', 'iptables'],
  ['iptables-nft', 'iptables'],
  ['iptables-nft-save', 'iptables'],
  ['iptables-nft-restore', 'iptables'],
  ['ip6tables-nft', 'iptables'],
  ['ip6tables-nft-save', 'iptables'],
  ['ip6tables-nft-restore', 'iptables'],
  ['busybox', 'busybox-static'],
  ['ip', 'iproute2'],
  ['nsenter', 'util-linux'],
  ['umount', 'mount'],
  ['tar', 'tar'],
]

export interface Tools {
  /** Every required program by name, as an absolute path. */
  paths: Record<string, string>
  busybox: string
}

/**
 * Checks that we are root and that every program the sandbox uses is installed; throws
 * one AbortError listing everything missing, with the command that installs it.
 * `dockerd` is checked by the engine resolver (the system one or a private copy).
 */
export function checkPreconditions(): Tools {
  const problems: string[] = []
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    problems.push('it must run as root (it creates network namespaces and starts dockerd)')
  }
  const paths: Record<string, string> = {}
  const missing: string[] = []
  for (const [name, pkg] of REQUIRED) {
    const found = findExecutable(name)
    if (found) paths[name] = found
    else missing.push(`${name} (package ${pkg})`)
  }
  if (missing.length > 0) problems.push(`missing programs: ${missing.join(', ')}`)
  const busybox = paths.busybox
  if (busybox && !isStaticElf(busybox)) {
    problems.push(`${busybox} is dynamically linked; the test image needs the static build (package busybox-static)`)
  }
  if (problems.length > 0 || !busybox) {
    const hint = `As root: apt-get update && ${INSTALL_COMMAND}`
    throw new AbortError(`Cannot start the Docker sandbox: ${problems.join('; ')}. ${hint}`, hint)
  }
  return {paths, busybox}
}
