// The one place that decides whether output gets colour, so every view agrees.

/** The part of a stream the decision needs; process.stdout and test fakes both fit. */
export interface ColorTarget {
  isTTY?: boolean
}

export type Env = Readonly<Record<string, string | undefined>>

/**
 * Colour or not, in Node's own order (tty.getColorDepth): FORCE_COLOR wins
 * (`0`/`false` force it off), then NO_COLOR (any non-empty value, per
 * no-color.org), then TERM=dumb, then whether the stream is a terminal.
 */
export function shouldColor(stream: ColorTarget, env: Env = process.env): boolean {
  const force = env.FORCE_COLOR
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false'
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.TERM === 'dumb') return false
  return stream.isTTY === true
}
