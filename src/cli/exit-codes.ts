// Exit codes are data: documented once here and in the README.
export const ExitCode = {
  /** Success; for `plan --detailed-exitcode`: no changes. */
  Ok: 0,
  /**
   * Any error: a usage error (unknown flag, missing argument, bad flag value: oclif's
   * exitCodes in package.json say 1 for each), invalid configuration, failed apply,
   * refused operation. Never 2, which --detailed-exitcode gives to "changes present".
   */
  Error: 1,
  /** `plan --detailed-exitcode`: success with changes present. `import`: partial import. */
  Changes: 2,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** `dockwall fmt`, as `terraform fmt`. */
export const FmtExitCode = {
  Ok: 0,
  /** A file could not be read or parsed (nothing was written to it). */
  Error: 2,
  /** `--check`: a file is not in the canonical layout. */
  CheckFailed: 3,
} as const
