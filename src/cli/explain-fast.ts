// `dockwall explain` without oclif (issue 16: explain on a 20,000-rule host in ≤ 1 s, whole
// process). oclif's import and configuration cost about 0.3 s of a 2-CPU machine before the
// command starts; bin/run.js sends an explain command line here first.
//
// The route answers only what it can answer exactly as oclif's would, and gives everything
// else back (false) for bin/run.js to hand to oclif:
// - command lines of the plain shapes explainArgv reads (the others, from `--help` to a
//   bad port, are oclif's to parse and report); test/unit/cli/explain-fast.test.ts checks
//   that every line it reads gives the flags oclif's parser gives;
// - answers without a warning (oclif prints warnings its own way) and without an error
//   (oclif's catch prints them): the question is then asked again through oclif, which
//   prints what it prints. Explain without --planned only reads (no lock, no write), so
//   asking twice changes nothing on the host; --planned is always oclif's.
// Nothing is written before the answer is complete, so a line given back has printed nothing.
import {DEFAULT_DOCKER_HOST} from '../docker/client.js'
import {applyColorChoice} from './color-choice.js'
import {explainOutput, type ExplainFlags} from './explain-flow.js'
import {NO_FAST_PATH_ENV} from './fast-path.js'

/** What oclif's parser makes of an explain command line: the two arguments and the flags with their defaults. */
export interface ExplainArgv {
  from: string
  to: string
  flags: ExplainFlags & {'no-color'?: boolean}
}

/** Environment variables that change what oclif prints or how it runs (DOCKWALL_DEBUG: its debug mode): they send the line to oclif. */
const OCLIF_ENV = ['OCLIF_COLUMNS', 'DEBUG', 'DOCKWALL_DEBUG', NO_FAST_PATH_ENV]

/** Flags taking a value, and the values oclif accepts for them (undefined: any non-empty one). */
const VALUE_FLAGS: Readonly<Record<string, RegExp | undefined>> = {
  port: /^\d{1,5}$/,
  proto: /^(tcp|udp|icmp)$/,
  'in-interface': undefined,
  netns: undefined,
  'docker-host': undefined,
  state: undefined,
  config: undefined,
  backend: /^(auto|nft|legacy)$/,
}
const BOOLEAN_FLAGS = new Set(['json', 'no-color'])

/** A flag's environment variable (hostFlags, stateFlags), read by oclif when the flag is absent and the variable non-empty. */
const FLAG_ENV: Readonly<Record<string, string>> = {
  netns: 'DOCKWALL_NETNS',
  'docker-host': 'DOCKER_HOST',
  state: 'DOCKWALL_STATE',
}

/**
 * The arguments and flags of `explain FROM TO [flags]` (argv without the command), or
 * undefined when the line is not of the plain shapes: exactly two arguments, none starting
 * with `-`; flags spelled `--name value` or `--name=value` (value flags: a non-empty value
 * not starting with `-`, a port of digits in 1..65535, a known protocol or backend) or
 * `--json`, `--no-color`; each flag at most once; no `--`, no one-letter or single-dash flag,
 * no --planned, --var, --var-file, --lock, --lock-timeout, --help.
 */
export function explainArgv(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ExplainArgv | undefined {
  const positional: string[] = []
  const given = new Map<string, string | true>()
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string
    if (!token.startsWith('-')) {
      positional.push(token)
      continue
    }
    const m = /^--([a-z][a-z-]*)(?:=([\s\S]*))?$/.exec(token)
    if (!m) return undefined
    const [, name = '', attached] = m
    if (given.has(name)) return undefined
    if (BOOLEAN_FLAGS.has(name)) {
      if (attached !== undefined) return undefined
      given.set(name, true)
      continue
    }
    if (!Object.hasOwn(VALUE_FLAGS, name)) return undefined
    const value = attached ?? argv[++i]
    if (value === undefined || value === '' || value.startsWith('-')) return undefined
    const shape = VALUE_FLAGS[name]
    if (shape && !shape.test(value)) return undefined
    given.set(name, value)
  }
  if (positional.length !== 2) return undefined
  const text = (name: string): string | undefined => {
    const v = given.get(name)
    if (typeof v === 'string') return v
    const fromEnv = FLAG_ENV[name] === undefined ? undefined : env[FLAG_ENV[name]]
    return fromEnv ? fromEnv : undefined
  }
  let port: number | undefined
  const portText = text('port')
  if (portText !== undefined) {
    port = Number.parseInt(portText, 10)
    if (port < 1 || port > 65535) return undefined
  }
  const flags: ExplainArgv['flags'] = {
    config: text('config') ?? '.',
    'docker-host': text('docker-host') ?? DEFAULT_DOCKER_HOST,
    lock: true,
    'lock-timeout': 0,
    proto: text('proto') ?? 'tcp',
    planned: false,
    json: given.has('json'),
  }
  for (const name of ['netns', 'state', 'in-interface', 'backend'] as const) {
    const v = text(name)
    if (v !== undefined) flags[name] = v
  }
  if (port !== undefined) flags.port = port
  if (given.has('no-color')) flags['no-color'] = true
  const [from, to] = positional as [string, string]
  return {from, to, flags}
}

/**
 * Answers an explain command line (argv without -chdir, the command first) and returns
 * true, or returns false having printed nothing and left the environment as it was: the
 * line is then oclif's.
 */
export async function runExplainFast(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (argv[0] !== 'explain' || OCLIF_ENV.some((name) => env[name] !== undefined)) return false
  const parsed = explainArgv(argv.slice(1), env)
  if (!parsed) return false
  const colour = {NO_COLOR: env.NO_COLOR, FORCE_COLOR: env.FORCE_COLOR}
  // As BaseCommand.init does, before anything is read or printed.
  applyColorChoice(env, parsed.flags['no-color'] === true)
  let warned = false
  let output: string
  try {
    output = await explainOutput(parsed.from, parsed.to, parsed.flags, {warn: () => (warned = true)})
  } catch {
    warned = true
    output = ''
  }
  if (warned) {
    for (const [name, value] of Object.entries(colour))
      if (value === undefined) delete env[name]
      else env[name] = value
    return false
  }
  ignoreEpipe(process.stdout)
  process.stdout.write(output)
  return true
}

/**
 * What loading oclif's Command does for every command: a reader that closes the pipe early
 * (`dockwall explain ... | head -1`) ends the output quietly, not with an unhandled EPIPE.
 */
export function ignoreEpipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') return
    throw err
  })
}
