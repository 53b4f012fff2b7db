// The test image: no registry is reachable, so it is `docker import`ed from a tar
// holding the static busybox and its applet links. The tar is built once (per
// busybox binary, cached under SANDBOX_BASE/.cache) and imported into each sandbox.
import {createHash} from 'node:crypto'
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  copyFileSync,
  chmodSync,
} from 'node:fs'
import {join} from 'node:path'

import type Docker from 'dockerode'

import {run} from '../util/exec.js'
import {SANDBOX_BASE} from './record.js'

export const TEST_IMAGE_REPO = 'dockwall-test/busybox'
export const TEST_IMAGE = `${TEST_IMAGE_REPO}:latest`

/** Applets linked into /bin. busybox `wget` crashes here: traffic checks use `nc`. */
export const APPLETS = [
  'sh',
  'ash',
  'sleep',
  'nc',
  'ip',
  'cat',
  'echo',
  'ifconfig',
  'route',
  'ping',
  'true',
  'false',
  'ls',
  'ps',
  'netstat',
  'hostname',
  'kill',
  'grep',
  'env',
  'printf',
  'test',
  'httpd',
  'sysctl',
  'arp',
  'mkdir',
  'rm',
  'head',
  'tail',
  'wc',
  'date',
  'id',
  'timeout',
  'seq',
  'tee',
  'nslookup',
  'traceroute',
  'udhcpc',
  'ipcalc',
] as const

const CACHE_DIR = join(SANDBOX_BASE, '.cache')
const LAYOUT_VERSION = 1

const tarPromises = new Map<string, Promise<string>>()

/** Path of the rootfs tar for this busybox binary, building it on first use in this process (or reusing the cache). */
export function rootfsTar(busybox: string): Promise<string> {
  let promise = tarPromises.get(busybox)
  if (!promise) {
    promise = buildRootfsTar(busybox)
    promise.catch(() => tarPromises.delete(busybox))
    tarPromises.set(busybox, promise)
  }
  return promise
}

async function buildRootfsTar(busybox: string): Promise<string> {
  const digest = createHash('sha256')
    .update(readFileSync(busybox))
    .update(`${LAYOUT_VERSION}:${APPLETS.join(',')}`)
    .digest('hex')
  const target = join(CACHE_DIR, `busybox-rootfs-${digest.slice(0, 16)}.tar`)
  if (existsSync(target)) return target
  mkdirSync(CACHE_DIR, {recursive: true, mode: 0o700})
  const staging = mkdtempSync(join(CACHE_DIR, 'rootfs-'))
  try {
    const rootfs = join(staging, 'rootfs')
    for (const dir of ['bin', 'etc', 'tmp', 'root']) mkdirSync(join(rootfs, dir), {recursive: true})
    chmodSync(join(rootfs, 'tmp'), 0o1777)
    copyFileSync(busybox, join(rootfs, 'bin', 'busybox'))
    chmodSync(join(rootfs, 'bin', 'busybox'), 0o755)
    for (const applet of APPLETS) symlinkSync('busybox', join(rootfs, 'bin', applet))
    const tmpTar = join(staging, 'rootfs.tar')
    // Deterministic archive: same bytes for the same busybox.
    await run('tar', [
      '--create',
      '--file',
      tmpTar,
      '--directory',
      rootfs,
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--sort=name',
      '--mtime=@0',
      '.',
    ])
    renameSync(tmpTar, target) // atomic: concurrent builders write identical content
    return target
  } finally {
    rmSync(staging, {recursive: true, force: true})
  }
}

/** `docker import` of the rootfs tar as TEST_IMAGE. */
export async function importTestImage(docker: Docker, tarPath: string): Promise<void> {
  const stream = await docker.importImage(createReadStream(tarPath), {repo: TEST_IMAGE_REPO, tag: 'latest'})
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, events: Array<{error?: string}>) => {
      const failed = events?.find((event) => event.error)
      if (error) reject(error)
      else if (failed) reject(new Error(`docker import failed: ${failed.error}`))
      else resolve()
    })
  })
}
