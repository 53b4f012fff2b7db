// Block labels for generated configuration. A label must match
// [A-Za-z_][A-Za-z0-9_-]* and stay within LABEL_MAX_LENGTH (src/model/names.ts);
// names from Docker, networks.json or iptables can be anything, so they are
// sanitised, and a clash after sanitising gets a numeric suffix (`web`, `web_2`).
// Allocation is in the order callers ask, so the same input gives the same labels.
import {LABEL_MAX_LENGTH} from '../model/names.js'

/** Any text → a valid label: runs of other characters become `_`, a leading digit or `-` gets a `_` prefix. */
export function sanitizeLabel(raw: string, fallback = 'unnamed'): string {
  let s = raw.replace(/[^A-Za-z0-9_-]+/g, '_')
  if (s === '') s = fallback
  if (!/^[A-Za-z_]/.test(s)) s = `_${s}`
  return s.slice(0, LABEL_MAX_LENGTH)
}

/** An address or CIDR as a label part: `10.0.0.0/8` → `10-0-0-0_8`, `fd00::5/128` → `fd00--5`. */
export function addressPart(cidr: string): string {
  return cidr
    .replace(cidr.includes(':') ? /\/128$/ : /\/32$/, '')
    .replaceAll('.', '-')
    .replaceAll(':', '-')
    .replace('/', '_')
}

/** Hands out unique labels within one block type. */
export class LabelAllocator {
  private readonly used = new Set<string>()

  /** A unique label for `raw` (sanitised); `renamed` tells whether it differs from the sanitised form. */
  take(raw: string): {label: string; renamed: boolean} {
    const base = sanitizeLabel(raw)
    if (!this.used.has(base)) {
      this.used.add(base)
      return {label: base, renamed: false}
    }
    for (let n = 2; ; n++) {
      const suffix = `_${n}`
      const label = `${base.slice(0, LABEL_MAX_LENGTH - suffix.length)}${suffix}`
      if (!this.used.has(label)) {
        this.used.add(label)
        return {label, renamed: true}
      }
    }
  }

  has(label: string): boolean {
    return this.used.has(label)
  }
}
