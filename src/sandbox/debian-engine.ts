// Newer Docker engines for the test matrix, taken from Debian's archive by package name
// and unpacked into a private folder: trixie's docker.io (26.1) and sid's (28.5).
//
// Nothing is installed and the system's apt state is not touched: apt runs with a
// sources list, package lists and cache of its own (all under a temporary folder),
// `apt-get download PKG/SUITE` fetches the .debs, `dpkg-deb -x` unpacks each, and only
// the unpacked tree is kept, in /var/cache/dockwall-sandbox/debian-<suite>/, with a
// `bin/` folder of links naming each program the way dockerd and containerd look it up
// on PATH (`docker-proxy`, `docker-init`, `containerd-shim-runc-v2`).
//
// `.ci/setup` fetches every engine up front (fetch-engines.ts), so downloads are not
// test time and a failed fetch fails CI at once; a test that finds an engine missing
// fetches it itself (for a developer's first run).
import {existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {AbortError} from '../errors.js'
import {run} from '../util/exec.js'
import type {EngineName} from './engine-names.js'
import {findExecutable} from './preconditions.js'

export const ENGINE_CACHE = '/var/cache/dockwall-sandbox'
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg'

export type DebianSuite = Exclude<EngineName, 'system'>

interface SuiteEngineSpec {
  suite: DebianSuite
  /** Packages downloaded as `NAME/SUITE`. */
  packages: string[]
  /** Programs linked into `bin/`, by the name they are looked up with, from their path in the unpacked tree. */
  programs: Record<string, string>
}

/**
 * What each suite contributes. trixie's dockerd works with bookworm's containerd, runc and
 * docker-init. sid's dockerd wants its own containerd (and shim) and tini (tini-static is
 * its own package there); sid's runc needs glibc 2.38, so bookworm's runc stays.
 */
const SPECS: Record<DebianSuite, SuiteEngineSpec> = {
  trixie: {
    suite: 'trixie',
    packages: ['docker.io'],
    programs: {dockerd: 'usr/sbin/dockerd', 'docker-proxy': 'usr/sbin/docker-proxy'},
  },
  sid: {
    suite: 'sid',
    packages: ['docker.io', 'containerd', 'tini-static'],
    programs: {
      dockerd: 'usr/sbin/dockerd',
      'docker-proxy': 'usr/sbin/docker-proxy',
      containerd: 'usr/bin/containerd',
      'containerd-shim-runc-v2': 'usr/bin/containerd-shim-runc-v2',
      'docker-init': 'usr/bin/tini-static',
    },
  },
}

export const DEBIAN_SUITES = Object.keys(SPECS) as DebianSuite[]

export interface UnpackedEngine {
  dockerd: string
  /** Our containerd when the suite brings one (else the system's is used). */
  containerd?: string
  /** Put first on dockerd's and containerd's PATH: the links in `bin/`. */
  pathDirs: string[]
  /** The .deb files it came from, as downloaded (name_version_arch.deb). */
  debs: string[]
}

export function engineDir(suite: DebianSuite): string {
  return join(ENGINE_CACHE, `debian-${suite}`)
}

function unpacked(dir: string, spec: SuiteEngineSpec, debs: string[]): UnpackedEngine {
  const bin = join(dir, 'bin')
  return {
    dockerd: join(bin, 'dockerd'),
    ...(spec.programs.containerd ? {containerd: join(bin, 'containerd')} : {}),
    pathDirs: [bin],
    debs,
  }
}

/** The engine of `suite` if it is already unpacked (no network), else undefined. */
export function cachedDebianEngine(suite: DebianSuite): UnpackedEngine | undefined {
  const dir = engineDir(suite)
  const marker = join(dir, 'complete')
  if (!existsSync(marker)) return undefined
  const debs = readdirSync(join(dir, 'debs'))
  return unpacked(dir, SPECS[suite], debs)
}

/** The unpacked engine of `suite`, downloading it on first use (25 to 60 MB). */
export async function ensureDebianEngine(suite: DebianSuite): Promise<UnpackedEngine> {
  const cached = cachedDebianEngine(suite)
  if (cached) return cached
  const spec = SPECS[suite]
  for (const tool of ['apt-get', 'dpkg-deb', 'env']) {
    if (!findExecutable(tool)) throw new AbortError(`engine "${suite}" needs ${tool} (a Debian system)`)
  }
  if (!existsSync(KEYRING))
    throw new AbortError(`engine "${suite}" needs ${KEYRING}`, 'apt-get install -y debian-archive-keyring')
  mkdirSync(ENGINE_CACHE, {recursive: true, mode: 0o755})
  const work = mkdtempSync(join(ENGINE_CACHE, `.${suite}-`))
  try {
    const mirror = process.env.DOCKWALL_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian'
    for (const dir of ['lists/partial', 'cache/archives/partial', 'download'])
      mkdirSync(join(work, dir), {recursive: true})
    writeFileSync(join(work, 'sources.list'), `deb [signed-by=${KEYRING}] ${mirror} ${suite} main\n`)
    const apt = [
      '-o',
      `Dir::Etc::SourceList=${join(work, 'sources.list')}`,
      '-o',
      `Dir::Etc::SourceParts=${join(work, 'no-parts')}`,
      '-o',
      `Dir::State::Lists=${join(work, 'lists')}`,
      '-o',
      `Dir::Cache=${join(work, 'cache')}`,
      // The system's preferences (pins) must not decide which version we get.
      '-o',
      `Dir::Etc::Preferences=${join(work, 'no-preferences')}`,
      '-o',
      `Dir::Etc::PreferencesParts=${join(work, 'no-parts')}`,
      '-o',
      'APT::Sandbox::User=root',
      '-o',
      'APT::Get::List-Cleanup=0',
    ]
    await run('apt-get', [...apt, '-q', 'update'], {timeoutMs: 300_000})
    // `apt-get download` writes to the current directory; `env -C` sets it without a shell.
    await run(
      'env',
      ['-C', join(work, 'download'), 'apt-get', ...apt, '-q', 'download', ...spec.packages.map((p) => `${p}/${suite}`)],
      {timeoutMs: 600_000},
    )
    const target = join(work, 'engine')
    mkdirSync(join(target, 'debs'), {recursive: true})
    const downloaded = readdirSync(join(work, 'download'))
    const debs: string[] = []
    for (const pkg of spec.packages) {
      const deb = downloaded.find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'))
      if (!deb) throw new Error(`apt-get download ${pkg}/${suite} produced no .deb`)
      await run('dpkg-deb', ['-x', join(work, 'download', deb), join(target, 'root')])
      // Only the name is kept, as a record of the version.
      writeFileSync(join(target, 'debs', deb), '')
      debs.push(deb)
    }
    mkdirSync(join(target, 'bin'))
    for (const [name, path] of Object.entries(spec.programs)) {
      const file = join(target, 'root', path)
      if (!existsSync(file)) throw new Error(`${suite}: ${debs.join(', ')} hold no ${path}`)
      // Relative, so the folder still works after the rename below.
      symlinkSync(join('..', 'root', path), join(target, 'bin', name))
    }
    writeFileSync(join(target, 'complete'), `${debs.join('\n')}\n`)
    try {
      renameSync(target, engineDir(suite))
    } catch (error) {
      // A concurrent process finished first: use its copy.
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error
    }
    return unpacked(engineDir(suite), spec, debs)
  } finally {
    rmSync(work, {recursive: true, force: true})
  }
}
