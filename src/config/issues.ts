// Turns zod issues into messages a user can act on: unknown fields get a "did you mean",
// enums list their values, type errors say what was found, a missing field says so.
import type * as z from '../util/zod.js'
import {Ref} from './expressions.js'
import {fastParse} from './fast-check.js'
import {type Path, type PathSeg, pathKey} from './source.js'
import {didYouMean} from './suggest.js'

export interface Problem {
  path: Path
  message: string
  /** The message is about the attribute's name (an unknown field), not its value. */
  onName?: boolean
}

/** Validates `input` with `schema`; on failure returns problems with paths relative to the body. */
export function check<S extends z.ZodMiniType>(
  schema: S,
  input: unknown,
  knownKeys: readonly string[],
): {data?: z.output<S>; problems: Problem[]} {
  const fast = fastParse(schema, input)
  if (fast) return {data: fast.data, problems: []}
  const r = schema.safeParse(input)
  if (r.success) return {data: r.data, problems: []}
  return {problems: r.error.issues.flatMap((i) => toProblems(i, input, knownKeys))}
}

function toProblems(issue: z.core.$ZodIssue, input: unknown, knownKeys: readonly string[]): Problem[] {
  const path = issue.path.filter((s): s is PathSeg => typeof s === 'string' || typeof s === 'number')
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => {
        // Nested maps (labels, options) take any key; only block bodies are strict.
        // A field already set is not what a typo meant: `prot` next to `port = 80` is `proto`.
        const present = input !== null && typeof input === 'object' ? Object.keys(input) : []
        const hint =
          path.length === 0
            ? didYouMean(
                k,
                knownKeys.filter((f) => !present.includes(f)),
              )
            : ''
        const list = path.length === 0 && !hint ? ` (known fields: ${knownKeys.join(', ')})` : ''
        return {path: [...path, k], message: `unknown field "${k}"${hint}${list}`, onName: true}
      })
    case 'invalid_value': {
      const got = valueAt(input, path)
      const values = issue.values.map((v) => JSON.stringify(v))
      const hint = typeof got === 'string' ? didYouMean(got, issue.values.map(String)) : ''
      return [{path, message: `${field(path)}must be one of ${values.join(', ')}, got ${describe(got)}${hint}`}]
    }
    default: {
      const got = valueAt(input, path)
      const last = path[path.length - 1]
      if (got === undefined && typeof last === 'string') return [{path, message: `missing required field "${last}"`}]
      const base = issue.message.startsWith('Invalid') ? 'invalid value' : issue.message
      return [{path, message: `${field(path)}${base}, got ${describe(got)}`}]
    }
  }
}

/** `action: `, `ports[2]: `, `labels.team: ` — which value a message is about. */
function field(path: Path): string {
  return path.length === 0 ? '' : `${pathKey(path)}: `
}

function valueAt(input: unknown, path: Path): unknown {
  let v = input
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string | number, unknown>)[seg]
  }
  return v
}

/** A short description of a value for messages: `"abc"`, `5`, `a list`, `a reference (container.lb)`. */
export function describe(v: unknown): string {
  if (v instanceof Ref) return `a reference (${v.kind}.${v.name})`
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a map'
  return JSON.stringify(v)
}
