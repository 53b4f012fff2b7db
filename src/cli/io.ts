// Terminal facts commands decide on, in one place.
import {shouldColor} from '../ui/index.js'

export interface Terminal {
  interactive: boolean
  color: boolean
  width: number
}

export function terminal(noTty: boolean): Terminal {
  const out = process.stdout
  const interactive = !noTty && Boolean(out.isTTY) && Boolean(process.stdin.isTTY) && process.env.CI !== 'true'
  return {interactive, color: shouldColor(out, process.env), width: out.columns || 100}
}
