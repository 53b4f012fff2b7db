// Which dockerd the sandbox runs: the system's (Debian 12's docker.io 20.10) or a
// private copy of a newer one from Debian's archive (see debian-engine.ts):
// trixie's 26.1 or sid's 28.5.
import {AbortError} from '../errors.js'
import {run} from '../util/exec.js'
import {cachedDebianEngine, engineDir, ensureDebianEngine, type UnpackedEngine} from './debian-engine.js'
import {ENGINE_NAMES, ENGINE_VARIABLE, isEngineName, type EngineName} from './engine-names.js'
import {findExecutable, INSTALL_COMMAND} from './preconditions.js'

export {ENGINE_NAMES, ENGINE_VARIABLE, isEngineName, type EngineName}

export interface Engine {
  name: EngineName
  dockerd: string
  /** The containerd to run with it; the system's unless the engine brings its own. */
  containerd?: string
  /** Directories put in front of dockerd's and containerd's PATH (docker-proxy, docker-init, the shim). */
  pathDirs: string[]
  /** `20.10.24+dfsg1`, as `dockerd --version` prints it. */
  version: string
  major: number
  minor: number
}

/** The engine named by DOCKWALL_SANDBOX_ENGINE, `system` when it is unset; an unknown name is an error, not a fallback. */
export function defaultEngine(env: NodeJS.ProcessEnv = process.env): EngineName {
  const value = env[ENGINE_VARIABLE]?.trim()
  if (!value) return 'system'
  if (!isEngineName(value)) throw new Error(`${ENGINE_VARIABLE}=${value}: unknown engine (${ENGINE_NAMES.join(', ')})`)
  return value
}

const cache = new Map<EngineName, Promise<Engine>>()

/**
 * The engine named, ready to start. `fetch: false` (what dockwall itself passes) never
 * downloads: a newer engine must have been unpacked already (`npm run engines`).
 */
export function resolveEngine(name: EngineName, opts: {fetch?: boolean} = {}): Promise<Engine> {
  let promise = cache.get(name)
  if (!promise) {
    const unpacked = (suite: Exclude<EngineName, 'system'>): Promise<UnpackedEngine> => {
      if (opts.fetch !== false) return ensureDebianEngine(suite)
      const cached = cachedDebianEngine(suite)
      if (cached) return Promise.resolve(cached)
      return Promise.reject(
        new AbortError(
          `engine "${suite}" is not unpacked in ${engineDir(suite)}`,
          'unset DOCKWALL_SANDBOX_ENGINE to use the dockerd installed here, or run `npm run engines` in a dockwall checkout',
        ),
      )
    }
    promise =
      name === 'system'
        ? systemEngine()
        : unpacked(name).then((e) => describe(name, e.dockerd, e.pathDirs, e.containerd))
    promise.catch(() => cache.delete(name))
    cache.set(name, promise)
  }
  return promise
}

async function systemEngine(): Promise<Engine> {
  const dockerd = findExecutable('dockerd')
  if (!dockerd) {
    throw new AbortError(
      `Cannot start the Docker sandbox: dockerd is not installed (package docker.io). As root: apt-get update && ${INSTALL_COMMAND}`,
      `As root: apt-get update && ${INSTALL_COMMAND}`,
    )
  }
  return describe('system', dockerd, [])
}

async function describe(name: EngineName, dockerd: string, pathDirs: string[], containerd?: string): Promise<Engine> {
  // Also proves the binary runs here (a dockerd built against a newer glibc fails now, not in a test).
  const {stdout} = await run(dockerd, ['--version'])
  const match = /version (\d+)\.(\d+)\.(\S+?),/.exec(stdout) ?? /version (\d+)\.(\d+)\.(\S+)/.exec(stdout)
  if (!match) throw new Error(`cannot read the version of ${dockerd}: ${stdout.trim()}`)
  return {
    name,
    dockerd,
    ...(containerd ? {containerd} : {}),
    pathDirs,
    version: `${match[1]}.${match[2]}.${match[3]}`,
    major: Number(match[1]),
    minor: Number(match[2]),
  }
}
