// Small helpers shared by the UI tests.
import {PassThrough} from 'node:stream'

/** Drop ANSI escape codes: snapshots are of the unstyled text. */
export function plain(s: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  return (s ?? '').replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '')
}

export function hasAnsi(s: string): boolean {
  return s.includes('\u001B[')
}

/** Let Ink read stdin, re-render and (for a lone escape) flush its pending-escape timer. */
export function settle(ms = 40): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls until `check` passes (a loaded CI machine may need more than one settle), then returns its value. */
export async function eventually<T>(check: () => T, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return check()
    } catch (err) {
      if (Date.now() > deadline) throw err
      await settle(20)
    }
  }
}

export const KEY = {
  up: '\u001B[A',
  down: '\u001B[B',
  pageUp: '\u001B[5~',
  pageDown: '\u001B[6~',
  enter: '\r',
  escape: '\u001B',
  backspace: '\u007F',
} as const

/** A writable stream that remembers what was written. */
export function captureStream(
  opts: {isTTY?: boolean; columns?: number} = {},
): PassThrough & {text(): string; isTTY?: boolean; columns?: number} {
  const stream = new PassThrough() as PassThrough & {text(): string; isTTY?: boolean; columns?: number}
  let out = ''
  stream.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8')
  })
  stream.text = () => out
  stream.isTTY = opts.isTTY
  stream.columns = opts.columns
  return stream
}
