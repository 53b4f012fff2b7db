// Where an apply reporter writes: shared by the plain reporters (apply-reporter.ts)
// and the Ink view (apply-progress.tsx), which apply-reporter.ts loads lazily.

/** What a reporter writes to: process.stdout, or a fake in tests. The Ink reporter needs a real stream (resize events, columns). */
export type OutputStream = NodeJS.WritableStream & {isTTY?: boolean; columns?: number; rows?: number}

export interface ReporterIO {
  stdout: OutputStream
  /** Text reporter only; defaults to shouldColor(stdout, process.env). */
  color?: boolean
  /** Clock in ms, for elapsed times and JSON timestamps (tests pin it). */
  now?: () => number
  /** Text reporter: print `Still creating... [10s elapsed]` this often (ms); 0 turns it off. Default 10 000, as Terraform. */
  stillRunningEveryMs?: number
}
