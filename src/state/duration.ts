// Durations as Terraform spells them (Go's time.ParseDuration subset): `0`, `500ms`,
// `30s`, `5m`, `1h30m`. A bare number other than 0 is refused: `--lock-timeout 30`
// would be ambiguous between seconds and milliseconds.

const UNITS: {[unit: string]: number} = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}

/** Milliseconds in `input`; throws an Error with an example of the expected form. */
export function parseDuration(input: string): number {
  const text = input.trim()
  if (text === '0') return 0
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy
  let total = 0
  let end = 0
  for (let m = part.exec(text); m; m = part.exec(text)) {
    total += Number(m[1]) * (UNITS[m[2] ?? ''] ?? Number.NaN)
    end = part.lastIndex
  }
  if (text === '' || end !== text.length || !Number.isFinite(total)) {
    throw new Error(
      `invalid duration ${JSON.stringify(input)}: use a number with a unit, like 30s, 5m, 1h30m or 500ms (0 for no wait)`,
    )
  }
  return Math.round(total)
}

/** `90000` → `1m30s`; `1500` → `1.5s`; `0` → `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s'
  if (ms < 1000) return `${Math.round(ms)}ms`
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor((ms % 3_600_000) / 60_000)
  const s = (ms % 60_000) / 1000
  const sText = Number.isInteger(s) ? String(s) : s.toFixed(1).replace(/\.0$/, '')
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${sText}s` : ''}`
}
