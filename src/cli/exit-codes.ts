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

/** One row of an exit-code table, for --help and the README. */
export interface ExitCodeDoc {
  code: number
  meaning: string
}

const USAGE = 'an error, usage errors included (an unknown flag or command, a missing argument, a bad value)'

/** Every command's exit codes, as its --help prints them (the README has the same table). */
export const EXIT_CODES: Readonly<Record<string, readonly ExitCodeDoc[]>> = {
  plan: [
    {code: ExitCode.Ok, meaning: 'success; with --detailed-exitcode: no changes'},
    {code: ExitCode.Error, meaning: USAGE},
    {code: ExitCode.Changes, meaning: 'only with --detailed-exitcode: success, and there are changes'},
  ],
  apply: [
    {code: ExitCode.Ok, meaning: 'applied, or nothing to do'},
    {
      code: ExitCode.Error,
      meaning: `${USAGE}; apply cancelled or refused (nothing done); apply failed part-way (the message and the state say what was done)`,
    },
  ],
  import: [
    {code: ExitCode.Ok, meaning: 'imported'},
    {code: ExitCode.Error, meaning: USAGE},
    {
      code: ExitCode.Changes,
      meaning:
        'partial: the configuration was written, but rules were left in place or policies not converted (listed)',
    },
  ],
  fmt: [
    {code: FmtExitCode.Ok, meaning: 'done; with --check: nothing to change'},
    {code: ExitCode.Error, meaning: 'a usage error'},
    {code: FmtExitCode.Error, meaning: 'a file could not be read or parsed (it is left alone)'},
    {code: FmtExitCode.CheckFailed, meaning: 'with --check: a file is not in the canonical layout'},
  ],
  watch: [
    {code: ExitCode.Ok, meaning: 'stopped by SIGTERM or SIGINT; with --once: the reconciliation succeeded'},
    {code: ExitCode.Error, meaning: `${USAGE}; with --once: the reconciliation failed`},
  ],
}
/** The table for a command id (`state:rm`): its own, or success and error. destroy is apply's. */
export function exitCodesOf(id: string): readonly ExitCodeDoc[] {
  const own = EXIT_CODES[id === 'destroy' ? 'apply' : id]
  return (
    own ?? [
      {code: ExitCode.Ok, meaning: 'success'},
      {code: ExitCode.Error, meaning: USAGE},
    ]
  )
}

/** For `dockwall --help` and the README: what each code means across commands. */
export const ROOT_EXIT_CODES: readonly ExitCodeDoc[] = [
  {code: 0, meaning: 'success; plan --detailed-exitcode: no changes'},
  {code: 1, meaning: `${USAGE}; never 2, so --detailed-exitcode can be trusted`},
  {code: 2, meaning: 'plan --detailed-exitcode: changes present; import: partial; fmt: a file does not parse'},
  {code: 3, meaning: 'fmt --check: a file is not formatted'},
]
