// The start-up fast path (issue 13): `dockwall --help`, a command's `--help` and `dockwall
// version` answered by bin/run.js without loading oclif, whose import and configuration
// cost about 0.2 s of CPU on a 2-CPU machine (more than a bare `node` start).
//
// The help texts are oclif's own output, rendered at build time (packaging/prerender-help.mjs
// runs `bin/run.js ... --help` with the fast path off and stores what it printed in
// dist/help.json). They are used only where that rendering is the one oclif would print
// now: stdout not a terminal (oclif wraps to 80 columns there), no colours (see noColors),
// no OCLIF_COLUMNS or DEBUG, the same oclif user agent (dockwall's version, the platform
// and Node's version, printed in the root help), and one of the exact command lines below. Anything else goes to oclif. test/unit/cli/fast-path.test.ts checks that
// every answer is byte-identical to oclif's. Imports nothing but version.js (which reads
// package.json).
import {versionInfo} from './version.js'

/** dist/help.json: oclif's help output, by command id or topic (`state list`, `state`; `` for the root). */
export interface PrerenderedHelp {
  /** oclif's config.userAgent when it was rendered: `dockwall/0.1.0 linux-x64 node-v20.20.2`. */
  userAgent: string
  help: Record<string, string>
}

export interface FastPathContext {
  stdoutIsTTY: boolean
  env: Record<string, string | undefined>
  /** Reads dist/help.json; undefined when it is missing or unreadable. Called only for a help request. */
  readHelp: () => PrerenderedHelp | undefined
}

/** Set (to anything) to send every command line to oclif: the build renders help.json with it, and the test compares. */
export const NO_FAST_PATH_ENV = 'DOCKWALL_NO_FAST_PATH'

const HELP_FLAGS = new Set(['--help', '-h', '-help'])

/** Environment variables that change what oclif prints, or add to it. */
const OUTPUT_CHANGING_ENV = ['OCLIF_COLUMNS', 'DEBUG', NO_FAST_PATH_ENV]

/** Variables that make ansis (oclif's colours: bold section headers) colour a pipe. */
const COLORING_ENV = ['COLORTERM', 'TF_BUILD', 'CI', 'PM2_HOME', 'NEXT_RUNTIME']

/**
 * Whether oclif's help, written to a pipe, has no colours: NO_COLOR, FORCE_COLOR=0 (or
 * false), or neither FORCE_COLOR nor anything ansis reads as a colour terminal or a CI
 * log (COLORTERM, CI, TF_BUILD, TEAMCITY_*...). On the safe side: when unsure, oclif renders.
 */
export function noColors(env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR) return true
  const force = env.FORCE_COLOR
  if (force !== undefined) return force === '0' || force === 'false'
  return !COLORING_ENV.some((name) => env[name] !== undefined) && !Object.keys(env).some((k) => k.startsWith('TEAMCI'))
}

/** oclif's config.userAgent for this process. */
export function userAgent(version: string): string {
  return `dockwall/${version} ${process.platform}-${process.arch} node-${process.version}`
}

/**
 * What to print on stdout (then exit 0) for this command line, already through
 * globalArgv; undefined to hand it to oclif.
 */
export function fastPathOutput(argv: readonly string[], ctx: FastPathContext): string | undefined {
  if (OUTPUT_CHANGING_ENV.some((name) => ctx.env[name] !== undefined)) return undefined
  if (argv.length === 1 && argv[0] === 'version') {
    // The version command's text (commands/version.ts), the same on a terminal.
    const info = versionInfo()
    return `dockwall v${info.dockwall_version}\non ${info.platform}\n`
  }
  if (ctx.stdoutIsTTY || !noColors(ctx.env)) return undefined
  const subject = helpSubject(argv)
  if (subject === undefined) return undefined
  const prerendered = ctx.readHelp()
  if (prerendered === undefined) return undefined
  if (prerendered.userAgent !== userAgent(versionInfo().dockwall_version)) return undefined
  return Object.hasOwn(prerendered.help, subject) ? prerendered.help[subject] : undefined
}

/**
 * The command or topic whose help this command line asks for (`` for the root), for the
 * plain shapes only: nothing; `help`, `--help`, `-h` or `-help` alone; `help ID...`;
 * `ID... --help` (or -h, -help); `--help ID...`. IDs are words ([a-z][a-z-]*), so a flag
 * or a value anywhere sends the line to oclif.
 */
export function helpSubject(argv: readonly string[]): string | undefined {
  if (argv.length === 0) return ''
  const [first, ...rest] = argv as [string, ...string[]]
  const last = argv.at(-1) as string
  let words: readonly string[]
  if (first === 'help' || HELP_FLAGS.has(first)) words = rest
  else if (HELP_FLAGS.has(last)) words = argv.slice(0, -1)
  else return undefined
  return words.every((w) => /^[a-z][a-z-]*$/.test(w)) ? words.join(' ') : undefined
}
