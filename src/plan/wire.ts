// How a plan's control data is spelled outside the process. In memory a Change carries
// `origin` and `forget` as typed fields; the plan JSON (`--json`) and the saved plan
// file have always carried them as strings inside `ids` (`"origin": "adopted"`,
// `"forget": "true"`). These functions are the only translation, so both formats keep
// their bytes and a plan saved by an earlier dockwall still applies.
import {ORIGINS, type Origin, type RuleLine} from '../model/resources.js'
import type {Change, Plan} from './types.js'

const CONTROL_KEYS = new Set(['ids', 'origin', 'forget'])

/** `ids` as the plan JSON and the plan file spell them: Docker ids, then `origin` and `forget`. */
export function wireIds(c: Pick<Change, 'ids' | 'origin' | 'forget'>): {[key: string]: string} | undefined {
  if (c.ids === undefined && c.origin === undefined && !c.forget) return undefined
  return {...c.ids, ...(c.origin ? {origin: c.origin} : {}), ...(c.forget ? {forget: 'true'} : {})}
}

/** A change as the plan file holds it: the same fields in the same order, `ids` where the first control field is. */
function changeToWire(c: Change): {[key: string]: unknown} {
  const out: {[key: string]: unknown} = {}
  let placed = false
  for (const [key, value] of Object.entries(c)) {
    if (!CONTROL_KEYS.has(key)) out[key] = value
    else if (!placed) {
      placed = true
      const ids = wireIds(c)
      if (ids) out.ids = ids
    }
  }
  return out
}

function changeFromWire(raw: Change): Change {
  if (!raw.ids) return raw
  const {origin, forget, ...ids} = raw.ids
  const known = origin !== undefined && (ORIGINS as readonly string[]).includes(origin)
  if (origin !== undefined && !known) ids.origin = origin
  if (forget !== undefined && forget !== 'true') ids.forget = forget
  const out: Change = {...raw, ids}
  if (known) out.origin = origin as Origin
  if (forget === 'true') out.forget = true
  return out
}

/** The plan as the plan file stores it. */
export function planToWire(plan: Plan): Omit<Plan, 'changes'> & {changes: {[key: string]: unknown}[]} {
  return {...plan, changes: plan.changes.map(changeToWire)}
}

/** A plan read from a plan file (already checked to be one of this format version). */
export function planFromWire(raw: Plan): Plan {
  // Plans saved before IPv6 support have no family on their lines and transactions: all IPv4.
  return {
    ...raw,
    changes: raw.changes.map((c) => withLineFamilies(changeFromWire(c))),
    firewall: raw.firewall.map((t) => (t.family ? t : {...t, family: 'ipv4'})),
  }
}

function withLineFamilies(c: Change): Change {
  if (!c.lines || [...c.lines.before, ...c.lines.after].every((l) => l.family)) return c
  const fill = (ls: readonly RuleLine[]): RuleLine[] => ls.map((l) => (l.family ? l : {...l, family: 'ipv4'}))
  return {...c, lines: {before: fill(c.lines.before), after: fill(c.lines.after)}}
}
