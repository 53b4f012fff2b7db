// `dockwall explain`, `plan` and `validate` without oclif (issue 16: explain on a 20,000-rule
// host in under 1 s; issue 13: a small plan in 0.4 s, a cold validate of 20,000 blocks in
// 1 s; whole process). oclif's import and configuration cost 0.1-0.3 s of a 2-CPU machine
// before the command starts; bin/run.js sends these command lines here first.
//
// A route answers only what it can answer exactly as oclif's command would, and gives
// everything else back (false) for bin/run.js to hand to oclif, having printed nothing:
// - command lines of the plain shapes (plain-argv.ts), with the arguments and flags oclif's
//   parser would make of them (test/unit/cli/fast-route.test.ts compares them with oclif's
//   parser, and checks each table against the command's oclif flags);
// - answers without a warning (oclif prints warnings its own way): the command then runs
//   again through oclif, which prints what it prints. These commands only read (plan's state
//   lock is released; explain --planned, which plans, is oclif's), so running twice changes
//   nothing on the host.
// An error is printed by failureOutput, the function BaseCommand.catch prints with. Nothing
// is written before the answer is complete.
import {DEFAULT_DOCKER_HOST} from '../docker/client.js'
import {parseDuration} from '../state/duration.js'
import {applyColorChoice} from './color-choice.js'
import {NO_FAST_PATH_ENV} from './fast-path.js'
import {plainFlags, readPlainLine, type PlainFlag} from './plain-argv.js'
import type {ExplainFlags} from './explain-flow.js'
import type {PlanFlags} from './plan-flow.js'
import type {ValidateFlags} from './validate-flow.js'

/** Environment variables that change what oclif prints or how it runs (DOCKWALL_DEBUG: its debug mode): they send the line to oclif. */
export const OCLIF_ENV = ['OCLIF_COLUMNS', 'DEBUG', 'DOCKWALL_DEBUG', NO_FAST_PATH_ENV]

/** What a route prints and the exit code it ends with; undefined: the line is oclif's. */
interface Answer {
  stdout: string
  stderr: string
  exitCode: number
}

interface Route {
  /** How many arguments the command takes (all required). */
  args: number
  /** The command's flags as oclif defines them (commands/*.ts), for the plain shapes. */
  flags: Readonly<Record<string, PlainFlag>>
  /** The answer, or undefined for oclif; `warn` makes the line oclif's too. */
  answer: (args: string[], flags: Record<string, unknown>, warn: (line: string) => void) => Promise<Answer | undefined>
}

// The flag groups of src/cli/flags.ts, as plain-argv reads them.
const CONFIG: Readonly<Record<string, PlainFlag>> = {
  config: {kind: 'value', char: 'c', default: '.'},
  var: {kind: 'value', multiple: true},
  'var-file': {kind: 'value', multiple: true},
}
const NO_COLOR: Readonly<Record<string, PlainFlag>> = {'no-color': {kind: 'boolean'}}

const HOST_STATE_LOCK: Readonly<Record<string, PlainFlag>> = {
  netns: {kind: 'value', env: 'DOCKWALL_NETNS'},
  'docker-host': {kind: 'value', env: 'DOCKER_HOST', default: DEFAULT_DOCKER_HOST},
  state: {kind: 'value', env: 'DOCKWALL_STATE'},
  lock: {kind: 'boolean', allowNo: true, default: true},
  'lock-timeout': {kind: 'value', default: 0, parse: parseDuration},
  backend: {kind: 'value', shape: /^(auto|nft|legacy)$/},
}

/** oclif's Flags.integer with min 1 and max 65535 (explain --port). */
function portNumber(text: string): number {
  const n = Number.parseInt(text, 10)
  if (n < 1 || n > 65535) throw new RangeError(`${text}: not a port`)
  return n
}

export const EXPLAIN_FLAGS: Readonly<Record<string, PlainFlag>> = {
  ...CONFIG,
  ...HOST_STATE_LOCK,
  port: {kind: 'value', shape: /^\d{1,5}$/, parse: portNumber},
  proto: {kind: 'value', shape: /^(tcp|udp|icmp)$/, default: 'tcp'},
  'in-interface': {kind: 'value'},
  planned: {kind: 'boolean', default: false},
  json: {kind: 'boolean', default: false},
  ...NO_COLOR,
}

export const PLAN_FLAGS: Readonly<Record<string, PlainFlag>> = {
  ...CONFIG,
  ...HOST_STATE_LOCK,
  target: {kind: 'value', multiple: true},
  json: {kind: 'boolean', default: false},
  'no-tty': {kind: 'boolean', default: false},
  verbose: {kind: 'boolean', default: false},
  input: {kind: 'boolean', allowNo: true, default: true},
  replace: {kind: 'value', multiple: true},
  'detailed-exitcode': {kind: 'boolean', default: false},
  destroy: {kind: 'boolean', default: false},
  'refresh-only': {kind: 'boolean', default: false},
  ...NO_COLOR,
}

export const VALIDATE_FLAGS: Readonly<Record<string, PlainFlag>> = {
  ...CONFIG,
  // No default: oclif's flag has none, so an absent --json is absent.
  json: {kind: 'boolean'},
  ...NO_COLOR,
}

const ROUTES: Readonly<Record<string, Route>> = {
  explain: {
    args: 2,
    flags: EXPLAIN_FLAGS,
    answer: async ([from, to], flags, warn) => {
      // --planned plans (and takes the state lock): oclif's.
      if (flags.planned === true) return undefined
      const {explainOutput} = await import('./explain-flow.js')
      const stdout = await explainOutput(from as string, to as string, flags as unknown as ExplainFlags, {warn})
      return {stdout, stderr: '', exitCode: 0}
    },
  },
  plan: {
    args: 0,
    flags: PLAN_FLAGS,
    answer: async (_args, flags, warn) => {
      const {planIsInteractive, planOutput} = await import('./plan-flow.js')
      // The shape oclif's parser gives (checked against it in the test).
      const f = flags as unknown as PlanFlags
      // --out writes a file and the interactive view needs a terminal: both are oclif's;
      // --destroy with --refresh-only is oclif's usage error.
      if (f.out !== undefined || planIsInteractive(f) || (f.destroy && f['refresh-only'])) return undefined
      const {stdout, code} = await planOutput(f, warn)
      return {stdout, stderr: '', exitCode: code}
    },
  },
  validate: {
    args: 0,
    flags: VALIDATE_FLAGS,
    answer: async (_args, flags) => {
      const {runValidate, runValidateJson} = await import('./validate-flow.js')
      const f = flags as unknown as ValidateFlags
      // As commands/validate.ts prints it (this.log and this.logToStderr add a newline).
      if (f.json) {
        const result = await runValidateJson(f)
        return {stdout: `${JSON.stringify(result, null, 2)}\n`, stderr: '', exitCode: result.valid ? 0 : 1}
      }
      let stdout = ''
      let stderr = ''
      await runValidate(f, {log: (l) => (stdout += `${l}\n`), logToStderr: (l) => (stderr += `${l}\n`)})
      return {stdout, stderr, exitCode: 0}
    },
  },
}

/** The commands bin/run.js sends here first. */
export const ROUTED = new Set(Object.keys(ROUTES))

/**
 * Answers a command line (argv without -chdir, the command first) and returns true, or
 * returns false having printed nothing and left the environment as it was: the line is
 * then oclif's.
 */
export async function runFastRoute(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const route = Object.hasOwn(ROUTES, argv[0] ?? '') ? ROUTES[argv[0] as string] : undefined
  if (!route || OCLIF_ENV.some((name) => env[name] !== undefined)) return false
  const line = readPlainLine(argv.slice(1), route.flags)
  if (!line || line.positional.length !== route.args) return false
  const flags = plainFlags(line, route.flags, env)
  if (!flags) return false
  const colour = {NO_COLOR: env.NO_COLOR, FORCE_COLOR: env.FORCE_COLOR}
  // As BaseCommand.init does, before anything is read or printed.
  applyColorChoice(env, flags['no-color'] === true)
  let warned = false
  let answer: Answer | undefined
  try {
    answer = await route.answer(line.positional, flags, () => (warned = true))
  } catch (error) {
    // Loaded only here: a route that answers needs none of it.
    const {failureOutput} = await import('./render-error.js')
    answer = failureOutput(error, {json: flags.json === true})
  }
  if (warned || !answer) {
    for (const [name, value] of Object.entries(colour))
      if (value === undefined) delete env[name]
      else env[name] = value
    return false
  }
  ignoreEpipe(process.stdout)
  if (answer.stdout) process.stdout.write(answer.stdout)
  if (answer.stderr) process.stderr.write(answer.stderr)
  process.exitCode = answer.exitCode
  return true
}

/**
 * What loading oclif's Command does for every command: a reader that closes the pipe early
 * (`dockwall plan | head -1`) ends the output quietly, not with an unhandled EPIPE.
 */
export function ignoreEpipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') return
    throw err
  })
}
