// dockwall's version, read once from package.json (written into plans and state files).
// Found by walking up from this file, which sits at src/ in tests and dist/src/ when built.
import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

function findVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {name?: string; version?: string}
      if (pkg.name === 'dockwall' && pkg.version) return pkg.version
    } catch {
      // not here; look one level up
    }
    dir = dirname(dir)
  }
  return '0.0.0-unknown'
}

export const DOCKWALL_VERSION: string = findVersion()
