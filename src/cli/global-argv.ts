// Terraform's global options, which come before the command: `-chdir=DIR` (or
// `--chdir DIR`), and `-version`, `--version`, `-v` as the `version` command. Read by
// bin/run.js before oclif sees the command line; `-h` and `-help` are oclif's
// additionalHelpFlags (package.json). Imports nothing, so it costs no start-up time.

export interface GlobalArgv {
  /** The command line oclif runs. */
  argv: string[]
  /** -chdir: the directory to switch to before running the command. */
  chdir?: string
}

const VERSION_FLAGS = new Set(['-v', '-version', '--version'])

export function globalArgv(argv: readonly string[]): GlobalArgv {
  const rest = [...argv]
  let chdir: string | undefined
  for (;;) {
    const token = rest[0]
    const m = token === undefined ? null : /^--?chdir(?:=([\s\S]*))?$/.exec(token)
    if (!m) break
    rest.shift()
    const dir = m[1] ?? rest.shift()
    if (dir === undefined || dir === '')
      throw new GlobalUsageError('-chdir needs a directory: dockwall -chdir=DIR COMMAND')
    chdir = dir
  }
  // `dockwall -version -json` is `dockwall version -json`, as in Terraform.
  if (rest[0] !== undefined && VERSION_FLAGS.has(rest[0])) rest[0] = 'version'
  return {argv: rest, ...(chdir === undefined ? {} : {chdir})}
}

/** A bad global option: bin/run.js prints it and exits 1, like any usage error. */
export class GlobalUsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'GlobalUsageError'
  }
}
