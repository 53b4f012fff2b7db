// A newer engine for the test matrix: Debian trixie's docker.io (26.1.x), unpacked
// into a private folder and run with the system's (bookworm's) containerd and runc.
//
// Nothing is installed and the system's apt state is not touched: apt runs with a
// sources list, package lists and cache of its own (all under a temporary folder),
// `apt-get download` fetches the one .deb, `dpkg-deb -x` unpacks it, and only the
// unpacked tree is kept, in /var/cache/dockwall-sandbox/docker.io-trixie/.
import {existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {AbortError} from '../../src/errors.js'
import {run} from '../../src/util/exec.js'
import {findExecutable} from './preconditions.js'

export const ENGINE_CACHE = '/var/cache/dockwall-sandbox'
const TRIXIE_DIR = join(ENGINE_CACHE, 'docker.io-trixie')
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg'

function engineFrom(dir: string): {dockerd: string; pathDirs: string[]} {
  return {dockerd: join(dir, 'root', 'usr', 'sbin', 'dockerd'), pathDirs: [join(dir, 'root', 'usr', 'sbin')]}
}

/** The unpacked trixie docker.io, downloading it on first use (about 25 MB). */
export async function ensureTrixieEngine(): Promise<{dockerd: string; pathDirs: string[]}> {
  if (existsSync(join(TRIXIE_DIR, 'complete'))) return engineFrom(TRIXIE_DIR)
  for (const tool of ['apt-get', 'dpkg-deb', 'env']) {
    if (!findExecutable(tool)) throw new AbortError(`engine "trixie" needs ${tool} (a Debian system)`)
  }
  if (!existsSync(KEYRING))
    throw new AbortError(`engine "trixie" needs ${KEYRING}`, 'apt-get install -y debian-archive-keyring')
  mkdirSync(ENGINE_CACHE, {recursive: true, mode: 0o755})
  const work = mkdtempSync(join(ENGINE_CACHE, '.trixie-'))
  try {
    const mirror = process.env.DOCKWALL_TRIXIE_MIRROR ?? 'http://deb.debian.org/debian'
    for (const dir of ['lists/partial', 'cache/archives/partial', 'download'])
      mkdirSync(join(work, dir), {recursive: true})
    writeFileSync(join(work, 'sources.list'), `deb [signed-by=${KEYRING}] ${mirror} trixie main\n`)
    const apt = [
      '-o',
      `Dir::Etc::SourceList=${join(work, 'sources.list')}`,
      '-o',
      `Dir::Etc::SourceParts=${join(work, 'no-parts')}`,
      '-o',
      `Dir::State::Lists=${join(work, 'lists')}`,
      '-o',
      `Dir::Cache=${join(work, 'cache')}`,
      '-o',
      'APT::Sandbox::User=root',
      '-o',
      'APT::Get::List-Cleanup=0',
    ]
    await run('apt-get', [...apt, '-q', 'update'], {timeoutMs: 300_000})
    // `apt-get download` writes to the current directory; `env -C` sets it without a shell.
    await run('env', ['-C', join(work, 'download'), 'apt-get', ...apt, '-q', 'download', 'docker.io/trixie'], {
      timeoutMs: 300_000,
    })
    const deb = readdirSync(join(work, 'download')).find((f) => f.startsWith('docker.io_') && f.endsWith('.deb'))
    if (!deb) throw new Error('apt-get download docker.io/trixie produced no .deb')
    const target = join(work, 'engine')
    mkdirSync(target)
    await run('dpkg-deb', ['-x', join(work, 'download', deb), join(target, 'root')])
    if (!existsSync(engineFrom(target).dockerd)) throw new Error(`${deb} holds no usr/sbin/dockerd`)
    writeFileSync(join(target, 'complete'), `${deb}\n`)
    try {
      renameSync(target, TRIXIE_DIR)
    } catch (error) {
      // A concurrent process finished first: use its copy.
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error
    }
    return engineFrom(TRIXIE_DIR)
  } finally {
    rmSync(work, {recursive: true, force: true})
  }
}
