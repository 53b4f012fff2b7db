// Parse cache (DESIGN.md section 5): hcl2-parser costs 0.35 s to import and about
// 1 ms per block, so `plan` on an unchanged configuration must not parse it again.
// Each .hcl file's parsed JSON and scanned positions are stored under the sha256 of
// its content; a hit needs only JSON.parse and never imports the HCL parser.
//
// The cache is best effort: a missing, unreadable or corrupt entry is a miss, and a
// failed write is ignored. Entries are written atomically (temp file + rename), so a
// concurrent reader never sees half an entry. No fsync: after a crash a damaged entry
// is just a miss.
import {createHash} from 'node:crypto'
import {mkdir, readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'

import writeFileAtomic from 'write-file-atomic'

/** Bump when the cached shape or the meaning of positions changes. */
const CACHE_FORMAT = 1

export interface CachedParse {
  body: Record<string, unknown>
  positions: Array<[string, number, number]>
}

/** Where parsed .hcl files are cached: $DOCKWALL_CACHE_DIR, else $XDG_CACHE_HOME/dockwall or ~/.cache/dockwall. */
export function defaultCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.DOCKWALL_CACHE_DIR) return env.DOCKWALL_CACHE_DIR
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dockwall')
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

export class ParseCache {
  constructor(readonly dir: string) {}

  private pathFor(hash: string): string {
    return join(this.dir, `hcl-v${CACHE_FORMAT}-${hash}.json`)
  }

  async get(hash: string): Promise<CachedParse | undefined> {
    let raw: string
    try {
      raw = await readFile(this.pathFor(hash), 'utf8')
    } catch {
      return undefined
    }
    try {
      const entry = JSON.parse(raw) as unknown
      return isCachedParse(entry, hash) ? {body: entry.body, positions: entry.positions} : undefined
    } catch {
      return undefined
    }
  }

  async put(hash: string, value: CachedParse): Promise<void> {
    try {
      await mkdir(this.dir, {recursive: true})
      await writeFileAtomic(this.pathFor(hash), JSON.stringify({format: CACHE_FORMAT, sha256: hash, ...value}), {
        fsync: false,
      })
    } catch {
      // A read-only or full disk must not break validation; the next run parses again.
    }
  }
}

function isCachedParse(v: unknown, hash: string): v is CachedParse & {format: number; sha256: string} {
  if (typeof v !== 'object' || v === null) return false
  const e = v as Record<string, unknown>
  return (
    e.format === CACHE_FORMAT &&
    e.sha256 === hash &&
    typeof e.body === 'object' &&
    e.body !== null &&
    !Array.isArray(e.body) &&
    Array.isArray(e.positions) &&
    e.positions.every(
      (p) =>
        Array.isArray(p) &&
        p.length === 3 &&
        typeof p[0] === 'string' &&
        typeof p[1] === 'number' &&
        typeof p[2] === 'number',
    )
  )
}
