// `dockwall explain`, `plan`, `validate`, and `apply`/`destroy --auto-approve` without oclif
// (issue 16: explain on a 20,000-rule host in under 1 s; issue 13: a small plan in 0.4 s, a
// cold validate of 20,000 blocks in 1 s; whole process). oclif's import and configuration
// cost 0.1-0.3 s of a 2-CPU machine before the command starts; bin/run.js sends these
// command lines here first.
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
//
// apply and destroy (HOST_ROUTES) change the host, so they cannot run twice: their contract
// is different. A line is taken or given back before anything is read, printed or changed,
// from the line and the environment alone, and once taken it is answered to the end:
// - taken: plain lines (APPLY_FLAGS, DESTROY_FLAGS) with --auto-approve, without --json,
//   without a planfile, without --destroy or --refresh-only (apply), and not interactive:
//   --no-tty given or stdout not a terminal, so neither the Ink progress view nor the
//   confirmation's `y` on the terminal (apply-flow's terminal().interactive) can be used,
//   and no approval prompt (--auto-approve). Everything else is oclif's;
// - output streams as oclif's does: runApply writes the plan and the progress to stdout
//   itself, io.log writes `line + '\n'` (Command.log of one string: console.log of
//   util.format(line), the line as it is), and a warning is printed, when it happens, by the
//   warn function of oclif's errors module, the one Command.warn calls (apply's --json,
//   oclif's jsonEnabled, is never on: no enableJsonFlag), loaded on the first warning only
//   (oclif-errors.ts), with the colour variables oclif saw when it loaded (before init's
//   applyColorChoice), so its bytes are oclif's by construction;
// - a failure is printed as BaseCommand.catch prints it for apply: failureOutput (text on
//   stderr, no --json), exit code 1, then process.exit as oclif's handle does (work still in
//   flight stops there, as it does under oclif). A usage error (oclif's CLIError: --no-lock
//   with the confirm window) goes, as BaseCommand.catch sends it, to oclif's handle;
// - timerCommand is BaseCommand.timerCommand()'s: this package's bin/run.js, found as oclif
//   finds its root (the first directory up with a package.json).
import {existsSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {DEFAULT_DOCKER_HOST} from '../docker/client.js'
import {parseDuration} from '../state/duration.js'
import {applyColorChoice} from './color-choice.js'
import {NO_FAST_PATH_ENV} from './fast-path.js'
import {oclifErrors} from './oclif-errors.js'
import {plainFlags, readPlainLine, type PlainFlag} from './plain-argv.js'
import {isUsageError} from './usage-error.js'
import type {ApplyFlags, ApplyFlowIO} from './apply-flow.js'
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

/** planFlags' target, outputFlags and inputFlag of src/cli/flags.ts: plan, apply and destroy have them all. */
const PLANNING: Readonly<Record<string, PlainFlag>> = {
  target: {kind: 'value', multiple: true},
  json: {kind: 'boolean', default: false},
  'no-tty': {kind: 'boolean', default: false},
  verbose: {kind: 'boolean', default: false},
  input: {kind: 'boolean', allowNo: true, default: true},
}

export const PLAN_FLAGS: Readonly<Record<string, PlainFlag>> = {
  ...CONFIG,
  ...HOST_STATE_LOCK,
  ...PLANNING,
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

/** oclif's Flags.integer with min 1 (apply --parallelism). */
function positiveInteger(text: string): number {
  const n = Number.parseInt(text, 10)
  if (n < 1) throw new RangeError(`${text}: less than 1`)
  return n
}

/** src/cli/flags.ts's applyFlags: apply and destroy. */
export const DESTROY_FLAGS: Readonly<Record<string, PlainFlag>> = {
  ...CONFIG,
  ...HOST_STATE_LOCK,
  ...PLANNING,
  parallelism: {kind: 'value', shape: /^\d+$/, default: 4, parse: positiveInteger},
  'auto-approve': {kind: 'boolean', default: false},
  'allow-lockout': {kind: 'boolean', default: false},
  'ssh-client': {kind: 'value'},
  'confirm-within': {kind: 'value'},
  ...NO_COLOR,
}

export const APPLY_FLAGS: Readonly<Record<string, PlainFlag>> = {
  ...DESTROY_FLAGS,
  replace: {kind: 'value', multiple: true},
  destroy: {kind: 'boolean', default: false},
  'refresh-only': {kind: 'boolean', default: false},
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

/** What oclif's parser makes of an apply or destroy line (the extra flags are apply's and the base flag). */
type HostFlags = ApplyFlags & {destroy?: boolean; 'refresh-only'?: boolean; 'no-color'?: boolean}

/** A route that changes the host: taken or given back before it starts, then run once, streaming. */
interface HostRoute {
  flags: Readonly<Record<string, PlainFlag>>
  /** Whether the route takes the line (see the header); decided before anything runs. */
  takes: (flags: HostFlags, stdoutIsTTY: boolean) => boolean
  run: (flags: ApplyFlags, io: ApplyFlowIO) => Promise<void>
}

/** Not interactive, nothing to ask, nothing but text on stdout (the header's first point). */
function takesHostLine(f: ApplyFlags, stdoutIsTTY: boolean): boolean {
  return f['auto-approve'] && !f.json && (f['no-tty'] || !stdoutIsTTY)
}

const HOST_ROUTES: Readonly<Record<string, HostRoute>> = {
  apply: {
    flags: APPLY_FLAGS,
    takes: (f, tty) => takesHostLine(f, tty) && f.destroy !== true && f['refresh-only'] !== true,
    // commands/apply.ts's run without a planfile: its checks are all about one.
    run: async (flags, io) => (await import('./apply-flow.js')).runApply(flags, 'normal', undefined, io),
  },
  destroy: {
    flags: DESTROY_FLAGS,
    takes: takesHostLine,
    run: async (flags, io) => (await import('./apply-flow.js')).runApply(flags, 'destroy', undefined, io),
  },
}

/** The commands bin/run.js sends here first. */
export const ROUTED = new Set([...Object.keys(ROUTES), ...Object.keys(HOST_ROUTES)])

/** The colour variables applyColorChoice may set. */
type Colour = Pick<NodeJS.ProcessEnv, 'NO_COLOR' | 'FORCE_COLOR'>

function restoreColour(env: NodeJS.ProcessEnv, colour: Colour): void {
  for (const [name, value] of Object.entries(colour))
    if (value === undefined) delete env[name]
    else env[name] = value
}

/**
 * This package's root as oclif's config.root finds it from bin/run.js: the first directory
 * up from this file with a package.json (dist/src/cli/ once built, src/cli/ in the tests).
 */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from)
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir)
  return dir
}

/** BaseCommand.timerCommand(): how to start `dockwall rollback-timer` from this installation. */
export function timerCommand(): string[] {
  return [process.execPath, join(packageRoot(), 'bin', 'run.js'), 'rollback-timer']
}

/**
 * Answers a command line (argv without -chdir, the command first) and returns true, or
 * returns false having printed nothing and left the environment as it was: the line is
 * then oclif's.
 */
export async function runFastRoute(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (OCLIF_ENV.some((name) => env[name] !== undefined)) return false
  const host = Object.hasOwn(HOST_ROUTES, argv[0] ?? '') ? HOST_ROUTES[argv[0] as string] : undefined
  if (host) return runHostRoute(host, argv.slice(1), env)
  const route = Object.hasOwn(ROUTES, argv[0] ?? '') ? ROUTES[argv[0] as string] : undefined
  if (!route) return false
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
    restoreColour(env, colour)
    return false
  }
  ignoreEpipe(process.stdout)
  if (answer.stdout) process.stdout.write(answer.stdout)
  if (answer.stderr) process.stderr.write(answer.stderr)
  process.exitCode = answer.exitCode
  return true
}

/** apply or destroy: see the header. Returns false, having done nothing, or true once run to the end. */
async function runHostRoute(route: HostRoute, argv: readonly string[], env: NodeJS.ProcessEnv): Promise<boolean> {
  const line = readPlainLine(argv, route.flags)
  if (!line || line.positional.length !== 0) return false
  // The shape oclif's parser gives (checked against it in the test).
  const flags = plainFlags(line, route.flags, env) as HostFlags | undefined
  if (!flags || !route.takes(flags, process.stdout.isTTY === true)) return false
  const colour: Colour = {NO_COLOR: env.NO_COLOR, FORCE_COLOR: env.FORCE_COLOR}
  // As BaseCommand.init does, before anything is read or printed.
  applyColorChoice(env, flags['no-color'] === true)
  ignoreEpipe(process.stdout)
  const io: ApplyFlowIO = {
    log: (l) => void process.stdout.write(`${l}\n`),
    warn: (l) => oclifWarn(l, env, colour),
    timerCommand: timerCommand(),
  }
  try {
    await route.run(flags, io)
  } catch (error) {
    // BaseCommand.catch: oclif's own errors keep oclif's text (its catch rethrows them to handle).
    if (isUsageError(error)) {
      process.exitCode = 1
      await oclifErrors().handle(error as Error)
      return true
    }
    const {failureOutput} = await import('./render-error.js')
    const out = failureOutput(error, {json: false, jsonLines: true})
    if (out.stdout) process.stdout.write(out.stdout)
    process.stderr.write(out.stderr)
    process.exitCode = out.exitCode
    // oclif's handle of BaseCommand.catch's this.exit(code).
    process.exit(out.exitCode)
  }
  return true
}

/**
 * Command.warn without --json: oclif's Errors.warn. oclif's modules read the colour
 * variables when they load, before BaseCommand.init applies --no-color: loaded here with
 * the variables as they were then.
 */
function oclifWarn(line: string, env: NodeJS.ProcessEnv, colour: Colour): void {
  const now: Colour = {NO_COLOR: env.NO_COLOR, FORCE_COLOR: env.FORCE_COLOR}
  restoreColour(env, colour)
  let errors: ReturnType<typeof oclifErrors>
  try {
    errors = oclifErrors()
  } finally {
    restoreColour(env, now)
  }
  errors.warn(line)
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
