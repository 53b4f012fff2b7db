// Which errors are oclif's usage errors (a bad flag, a missing argument, a CLIError of
// ours): they keep oclif's text and exit code. Its own module, with no imports, so the
// fast route asks it without loading render-error.ts.

/** oclif's usage error: its errors carry `oclif` (the exit code); a CLIError may not. */
export function isUsageError(err: unknown): err is Error & {oclif?: {exit?: number}} {
  const e = err as {oclif?: unknown; constructor?: {name?: string}} | null | undefined
  return e?.oclif !== undefined || e?.constructor?.name === 'CLIError'
}
