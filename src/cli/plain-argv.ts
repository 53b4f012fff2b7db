// The plain shapes of a command line, read without oclif for bin/run.js's routes
// (src/cli/fast-route.ts): what they read must be exactly what oclif's parser makes of the
// same line, so they read only shapes with one meaning and give the rest back (undefined).
// Imports nothing: loading oclif is what the routes save.

/** A flag as the route reads it; the route's table mirrors the command's oclif flags. */
export type PlainFlag =
  | {
      kind: 'boolean'
      /** `--no-NAME` too (oclif's allowNo). */
      allowNo?: boolean
      /** oclif's default; without one an absent flag is absent from the flags. */
      default?: boolean
    }
  | {
      kind: 'value'
      /** oclif's one-letter alias (`-c DIR`). */
      char?: string
      /** The values accepted (oclif's options, or the shape its parse function accepts); any non-empty one without. */
      shape?: RegExp
      /** Repeatable (oclif's multiple, non-greedy: one value per flag). */
      multiple?: boolean
      /** Read when the flag is absent and the variable set and non-empty (oclif's env). */
      env?: string
      /** oclif's default, as its parse would have made it. */
      default?: unknown
      /** oclif's parse of the value; throwing gives the line back (oclif then reports the bad value). */
      parse?: (value: string) => unknown
    }

export interface PlainLine {
  positional: string[]
  /** Value flags as given, in order (one entry unless the flag is multiple). */
  values: ReadonlyMap<string, readonly string[]>
  /** Boolean flags given: true for `--NAME`, false for `--no-NAME`. */
  booleans: ReadonlyMap<string, boolean>
}

/**
 * The positional arguments and flags of a command line (argv without the command), or
 * undefined when it is not of the plain shapes: flags spelled `--name value`,
 * `--name=value` or `-c value` (a non-empty value not starting with `-`, of the flag's
 * shape), booleans `--name` or `--no-name` where allowed; each flag at most once unless
 * it is multiple; no `--`, no bundled or unknown flag, no Terraform spelling (`-json`,
 * `--json=true`: BaseCommand rewrites those before oclif parses), no help.
 */
export function readPlainLine(
  argv: readonly string[],
  flags: Readonly<Record<string, PlainFlag>>,
): PlainLine | undefined {
  const positional: string[] = []
  const values = new Map<string, string[]>()
  const booleans = new Map<string, boolean>()
  const byChar = new Map<string, string>()
  for (const [name, f] of Object.entries(flags)) if (f.kind === 'value' && f.char) byChar.set(f.char, name)
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string
    if (!token.startsWith('-')) {
      positional.push(token)
      continue
    }
    let name: string
    let attached: string | undefined
    const short = /^-([a-zA-Z])$/.exec(token)
    if (short) {
      const long = byChar.get(short[1] as string)
      if (long === undefined) return undefined
      name = long
    } else {
      const m = /^--([a-z][a-z-]*)(?:=([\s\S]*))?$/.exec(token)
      if (!m) return undefined
      name = m[1] ?? ''
      attached = m[2]
    }
    const flag = Object.hasOwn(flags, name) ? flags[name] : undefined
    if (flag === undefined || flag.kind === 'boolean') {
      const negated = name.startsWith('no-') ? name.slice(3) : undefined
      const base = flag ? name : negated
      const spec = base !== undefined && Object.hasOwn(flags, base) ? flags[base] : undefined
      if (attached !== undefined || spec?.kind !== 'boolean' || (base !== name && !spec.allowNo)) return undefined
      if (booleans.has(base as string)) return undefined
      booleans.set(base as string, base === name)
      continue
    }
    const value = attached ?? argv[++i]
    if (value === undefined || value === '' || value.startsWith('-')) return undefined
    if (flag.shape && !flag.shape.test(value)) return undefined
    const seen = values.get(name)
    if (seen && !flag.multiple) return undefined
    if (seen) seen.push(value)
    else values.set(name, [value])
  }
  return {positional, values, booleans}
}

/**
 * The flags oclif's parser would make of a plain line: given values (parsed), else the
 * environment variable, else the default; booleans as given, else their default. Undefined
 * when a value's parse throws.
 */
export function plainFlags(
  line: PlainLine,
  flags: Readonly<Record<string, PlainFlag>>,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {}
  for (const [name, f] of Object.entries(flags)) {
    if (f.kind === 'boolean') {
      const v = line.booleans.get(name) ?? f.default
      if (v !== undefined) out[name] = v
      continue
    }
    const given = line.values.get(name)
    if (f.multiple) {
      if (given) out[name] = [...given]
      continue
    }
    const fromEnv = f.env === undefined ? undefined : env[f.env]
    const text = given?.[0] ?? (fromEnv ? fromEnv : undefined)
    if (text === undefined) {
      if (f.default !== undefined) out[name] = f.default
      continue
    }
    try {
      out[name] = f.parse ? f.parse(text) : text
    } catch {
      return undefined
    }
  }
  return out
}
