// A quick pass over a body for the common case, a body that is fine: the same answer
// zod's safeParse gives, read from the schema's own definition, for the kinds of schema
// the block bodies use (strict objects, strings, numbers, booleans, enums, unions, lists,
// z.custom, optional, default, unknown). It says "don't know" for anything else, and it
// never describes a problem: whenever it is not sure the body is fine, check() (issues.ts)
// asks zod, whose issues become the messages. For 20,000 rule blocks zod's parse was
// about a seventh of loading the configuration; this pass is a fraction of that.
import type * as z from '../util/zod.js'

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
export function fastParse<S extends z.ZodMiniType>(schema: S, input: unknown): {data: z.output<S>} | undefined {
  const r = compiled(schema as unknown as Schema)(input)
  return r === FAIL || r === UNKNOWN ? undefined : {data: r as z.output<S>}
}

/** A schema's check, made once from its definition: reading the definition for every value cost more than the checks. */
type Check = (v: unknown) => Outcome

const COMPILED = new WeakMap<Schema, Check>()
const unknownOutcome: Check = () => UNKNOWN

function compiled(schema: Schema): Check {
  let check = COMPILED.get(schema)
  if (check) return check
  // A schema inside itself (a getter in a shape) meets this stand-in while it is compiled;
  // the stand-in calls the finished check.
  COMPILED.set(schema, (v) => COMPILED.get(schema)!(v))
  COMPILED.set(schema, (check = compile(schema)))
  return check
}

function compile(schema: Schema): Check {
  const def = schema._zod.def
  // Refinements and coercion are zod's to run (z.custom's one check is its fn, below).
  if (def.coerce || (def.checks !== undefined && def.checks.length > 0 && def.type !== 'custom')) return unknownOutcome
  switch (def.type) {
    case 'string':
      return (v) => (typeof v === 'string' ? v : FAIL)
    case 'number':
      return (v) => (typeof v === 'number' && Number.isFinite(v) ? v : FAIL)
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? v : FAIL)
    case 'unknown':
      return (v) => (typeof v === 'symbol' ? UNKNOWN : v)
    case 'enum': {
      const values: ReadonlySet<unknown> = new Set(Object.values(def.entries ?? {}))
      return (v) => (values.has(v) ? v : FAIL)
    }
    case 'custom': {
      const fn = def.fn
      if (!fn || (def.checks !== undefined && def.checks.length > 1)) return unknownOutcome
      return (v) => (fn(v) ? v : FAIL)
    }
    case 'optional': {
      const inner = def.innerType!
      if (inner._zod.def.type === 'default') return unknownOutcome
      const check = compiled(inner)
      return (v) => (v === undefined ? undefined : check(v))
    }
    case 'default': {
      // zod gives the default for no value, without checking it, and for a value the inner
      // schema's answer. def.defaultValue is read each time: zod's getter gives a fresh copy.
      const check = compiled(def.innerType!)
      return (v) => {
        if (v === undefined) return def.defaultValue
        const r = check(v)
        return r === undefined ? def.defaultValue : r
      }
    }
    case 'union': {
      // The first option that takes the value, as zod's union does.
      const options = (def.options ?? []).map(compiled)
      return (v) => {
        for (const option of options) {
          const r = option(v)
          if (r !== FAIL) return r
        }
        return FAIL
      }
    }
    case 'array': {
      const element = compiled(def.element!)
      return (v) => {
        if (!Array.isArray(v)) return FAIL
        const out: unknown[] = new Array(v.length)
        for (let i = 0; i < v.length; i++) {
          const r = element(v[i])
          if (r === FAIL || r === UNKNOWN) return r
          out[i] = r
        }
        return out
      }
    }
    case 'object':
      return object(def)
    default:
      return unknownOutcome
  }
}

/** A strict object of known fields: every key of `v` in the shape, every field fine. */
function object(def: Def): Check {
  const shape = def.shape
  if (!shape || def.catchall?._zod.def.type !== 'never') return unknownOutcome
  const fields: string[] = []
  for (const k in shape) fields.push(k)
  const checks = fields.map((k) => compiled(shape[k]!))
  return (v) => {
    if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) return UNKNOWN
    const input = v as Record<string, unknown>
    for (const k in input) if (!Object.hasOwn(shape, k) || input[k] === undefined) return UNKNOWN
    const out: Record<string, unknown> = {}
    for (let i = 0; i < fields.length; i++) {
      const k = fields[i]!
      const r = checks[i]!(input[k])
      if (r === FAIL || r === UNKNOWN) return UNKNOWN
      if (r !== undefined) out[k] = r
    }
    return out
  }
}
