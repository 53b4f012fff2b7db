// Loader hooks for trace-imports.ts (they run on the loader thread).
import {appendFileSync} from 'node:fs'

const out = process.env.DOCKWALL_BENCH_TRACE

export async function load(
  url: string,
  context: unknown,
  next: (url: string, context: unknown) => Promise<unknown>,
): Promise<unknown> {
  if (out) appendFileSync(out, `${url}\n`)
  return next(url, context)
}
