// A quick pass over a body for the common case, a body that is fine: the same answer
// zod's safeParse gives, read from the schema's own definition, for the kinds of schema
// the block bodies use (strict objects, strings, numbers, booleans, enums, unions, lists,
// z.custom, optional, default, unknown). It says "don't know" for anything else, and it
// never describes a problem: whenever it is not sure the body is fine, check() (issues.ts)
// asks zod, whose issues become the messages. For 20,000 rule blocks zod's parse was
// about a seventh of loading the configuration; this pass is a fraction of that.
import type {z} from 'zod'

/** The outcome for one value: its parsed value, or a certain failure, or no answer (no value is either symbol). */
const FAIL: unique symbol = Symbol('fail')
const UNKNOWN: unique symbol = Symbol('unknown')
type Outcome = unknown

/** The parts of zod's schema definitions read here (zod/v4/core's `_zod.def`). */
interface Def {
  type: string
  checks?: readonly unknown[]
  coerce?: boolean
  shape?: Record<string, Schema>
  catchall?: Schema
  entries?: Record<string, unknown>
  options?: readonly Schema[]
  element?: Schema
  innerType?: Schema
  defaultValue?: unknown
  fn?: (v: unknown) => unknown
}
interface Schema {
  _zod: {def: Def}
}

/** The parsed value when zod would accept `input` as it is; undefined when zod must be asked. */
export function fastParse<S extends z.ZodType>(schema: S, input: unknown): {data: z.output<S>} | undefined {
  const r = run(schema as unknown as Schema, input)
  return r === FAIL || r === UNKNOWN ? undefined : {data: r as z.output<S>}
}

const ENUMS = new WeakMap<Def, ReadonlySet<unknown>>()

function run(schema: Schema, v: unknown): Outcome {
  const def = schema._zod.def
  // Refinements and coercion are zod's to run (z.custom's one check is its fn, below).
  if (def.coerce || (def.checks !== undefined && def.checks.length > 0 && def.type !== 'custom')) return UNKNOWN
  switch (def.type) {
    case 'string':
      return typeof v === 'string' ? v : FAIL
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? v : FAIL
    case 'boolean':
      return typeof v === 'boolean' ? v : FAIL
    case 'unknown':
      return typeof v === 'symbol' ? UNKNOWN : v
    case 'enum': {
      let values = ENUMS.get(def)
      if (!values) ENUMS.set(def, (values = new Set(Object.values(def.entries ?? {}))))
      return values.has(v) ? v : FAIL
    }
    case 'custom':
      if (!def.fn || (def.checks !== undefined && def.checks.length > 1)) return UNKNOWN
      return def.fn(v) ? v : FAIL
    case 'optional': {
      const inner = def.innerType!
      if (inner._zod.def.type === 'default') return UNKNOWN
      return v === undefined ? undefined : run(inner, v)
    }
    case 'default': {
      // zod gives the default for no value, without checking it, and for a value the inner schema's answer.
      if (v === undefined) return def.defaultValue
      const r = run(def.innerType!, v)
      return r === undefined ? def.defaultValue : r
    }
    case 'union': {
      // The first option that takes the value, as zod's union does.
      for (const option of def.options ?? []) {
        const r = run(option, v)
        if (r !== FAIL) return r
      }
      return FAIL
    }
    case 'array': {
      if (!Array.isArray(v)) return FAIL
      const out: unknown[] = new Array(v.length)
      for (let i = 0; i < v.length; i++) {
        const r = run(def.element!, v[i])
        if (r === FAIL || r === UNKNOWN) return r
        out[i] = r
      }
      return out
    }
    case 'object':
      return object(def, v)
    default:
      return UNKNOWN
  }
}

/** A strict object of known fields: every key of `v` in the shape, every field fine. */
function object(def: Def, v: unknown): Outcome {
  const shape = def.shape
  if (!shape || def.catchall?._zod.def.type !== 'never') return UNKNOWN
  if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) return UNKNOWN
  const input = v as Record<string, unknown>
  for (const k in input) if (!Object.hasOwn(shape, k) || input[k] === undefined) return UNKNOWN
  const out: Record<string, unknown> = {}
  for (const k in shape) {
    const r = run(shape[k]!, input[k])
    if (r === FAIL || r === UNKNOWN) return UNKNOWN
    if (r !== undefined) out[k] = r
  }
  return out
}
