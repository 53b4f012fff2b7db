// The state file's bytes: decode (parse, upgrade, validate) and encode (canonical,
// so equal states write identical bytes). Pure functions, no I/O: src/state/store.ts
// does the reading and writing. The format is documented in docs/STATE-FORMAT.md.
import {AbortError} from '../errors.js'
import {resourceAddressError} from '../model/names.js'
import {FIREWALL_TABLES, ORIGINS, sameStateResource, type Json, type Origin, type RuleLine} from '../model/resources.js'
import {RESOURCE_TYPES, STATE_VERSION} from './types.js'
import type {State, StateResource} from './types.js'
import {compareText} from '../util/text.js'
import * as z from '../util/zod.js'

/** A decoded JSON object whose shape is not yet known (an old format on its way up). */
export type RawState = {[key: string]: unknown}

/**
 * One step of the upgrade chain: turns a file of format `from` into format `from + 1`.
 * Steps run in order, each on the previous step's output, so a step only ever
 * knows two adjacent formats. It may throw; the message is shown with the file name.
 */
export interface StateUpgrade {
  from: number
  upgrade(raw: RawState): RawState
}

/**
 * The real chain. Empty: format 1 is the first format dockwall ever wrote. When
 * format 2 comes, add `{from: 1, upgrade: ...}` here and bump STATE_VERSION.
 */
export const STATE_UPGRADES: readonly StateUpgrade[] = []

// --- Schema of the current format (on-disk names) --------------------------------

/**
 * Finite numbers only: JSON.stringify writes NaN and Infinity as null, so they
 * would not read back as written. A hand-written check rather than z.json(): that
 * union costs about 4x as much, and a state may hold tens of thousands of rules.
 */
function isJsonValue(v: unknown): v is Json {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true
  if (typeof v === 'number') return Number.isFinite(v)
  if (Array.isArray(v)) return v.every((x) => isJsonValue(x))
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
    return Object.values(v).every((x) => isJsonValue(x))
  return false
}

const ruleLineSchema = z.strictObject({
  namespace: z.union([z.literal('host'), z.templateLiteral(['container.', z.string().check(z.minLength(1))])], {
    error: 'expected "host" or "container.<label>"',
  }),
  // Written only for ip6tables lines: a line without it is IPv4, so IPv4-only states keep their bytes.
  family: z.optional(z.enum(['ipv4', 'ipv6'])),
  table: z.enum(FIREWALL_TABLES),
  chain: z.string().check(z.minLength(1)),
  spec: z.string(),
})

const resourceSchema = z.strictObject({
  address: z.string().check(z.minLength(1)),
  type: z.enum(RESOURCE_TYPES),
  ids: z.record(z.string(), z.string()),
  attributes: z.record(
    z.string(),
    z.custom<Json>((v) => isJsonValue(v), {
      error: 'expected a JSON value (string, finite number, boolean, null, array or object)',
    }),
  ),
  lines: z.optional(z.array(ruleLineSchema)),
})

const headerShape = {
  version: z.literal(STATE_VERSION),
  serial: z.number().check(z.int(), z.nonnegative()),
  lineage: z.guid({error: 'expected a UUID'}),
  dockwall_version: z.string(),
}

// Strict objects: an unknown field is refused rather than dropped, because dockwall
// rewrites the file and would otherwise silently lose whatever the field recorded.
const stateSchema = z.strictObject({...headerShape, resources: z.array(resourceSchema)}).check(
  z.superRefine((s, ctx) => {
    const seen = new Set<string>()
    s.resources.forEach((r, i) => {
      const bad = resourceAddressError(r.address, r.type)
      if (bad)
        ctx.addIssue({
          code: 'custom',
          path: ['resources', i, 'address'],
          message: `${JSON.stringify(r.address)}: ${bad}`,
        })
      if (seen.has(r.address))
        ctx.addIssue({code: 'custom', path: ['resources', i, 'address'], message: `duplicate address ${r.address}`})
      seen.add(r.address)
    })
  }),
)
const headerSchema = z.strictObject(headerShape)

// --- Control data: typed in memory, inside `ids` on disk ------------------------------
//
// In memory a resource carries `origin` and `pendingMove` as typed fields; on disk they
// have always been strings inside `ids` (`"origin": "adopted"`, `"import": "pending"`).
// These two functions are the only translation, so the bytes stay those of format 1.

/** A resource as the file spells it. */
export interface DiskResource {
  address: string
  type: StateResource['type']
  ids: {[key: string]: string}
  attributes: StateResource['attributes']
  lines?: readonly DiskLine[]
}

/** A rule line as the file spells it: `family` only on ip6tables lines. */
export type DiskLine = Omit<RuleLine, 'family'> & {family?: RuleLine['family']}

/** `ids.import` of a rule whose foreign line has not been moved yet. */
const PENDING_MOVE = 'pending'

/** The ids as the file spells them: the Docker ids plus `origin` and `import`. */
export function diskIds(r: Pick<StateResource, 'ids' | 'origin' | 'pendingMove'>): {[key: string]: string} {
  if (r.origin === undefined && !r.pendingMove) return r.ids
  return {...r.ids, ...(r.origin ? {origin: r.origin} : {}), ...(r.pendingMove ? {import: PENDING_MOVE} : {})}
}

/** The resource as the file spells it (and as `dockwall show --json` prints it). */
export function resourceOnDisk(r: StateResource): DiskResource {
  const out: DiskResource = {address: r.address, type: r.type, ids: diskIds(r), attributes: r.attributes}
  if (r.lines) out.lines = r.lines
  return out
}

/**
 * The typed resource, its objects' keys in the canonical order (sorted; the fields of a
 * line in the file's order), so what is shown from it does not depend on how the file
 * was edited. Values this dockwall does not know stay in `ids`, so they are written back unchanged.
 */
export function resourceFromDisk(d: DiskResource): StateResource {
  const {origin, import: move, ...ids} = d.ids
  const known = origin !== undefined && (ORIGINS as readonly string[]).includes(origin)
  if (origin !== undefined && !known) ids.origin = origin
  if (move !== undefined && move !== PENDING_MOVE) ids.import = move
  return {
    address: d.address,
    type: d.type,
    ids: canonical(ids) as {[k: string]: string},
    ...(known ? {origin: origin as Origin} : {}),
    ...(move === PENDING_MOVE ? {pendingMove: true as const} : {}),
    attributes: canonical(d.attributes) as {[k: string]: Json},
    // A line without family is IPv4 (the file writes it only for ip6tables lines).
    ...(d.lines
      ? {
          lines: d.lines.map((l): RuleLine => ({
            namespace: l.namespace,
            family: l.family ?? 'ipv4',
            table: l.table,
            chain: l.chain,
            spec: l.spec,
          })),
        }
      : {}),
  }
}

/**
 * resourceFromDisk's resource, deeply frozen, from objects freshly parsed (and so this
 * module's own): the ids and attributes already in canonical key order (a file dockwall wrote)
 * are frozen where they are instead of copied, which halved decoding a state of 20,000 rules.
 */
function decodedResource(d: DiskResource): StateResource {
  if (Object.hasOwn(d.ids, 'origin') || Object.hasOwn(d.ids, 'import')) return deepFreeze(resourceFromDisk(d))
  const r: StateResource = {
    address: d.address,
    type: d.type,
    ids: frozenCanonical(d.ids) as {[k: string]: string},
    attributes: frozenCanonical(d.attributes) as {[k: string]: Json},
  }
  if (d.lines) {
    const lines: RuleLine[] = []
    // A line without family is IPv4 (the file writes it only for ip6tables lines).
    for (const l of d.lines)
      lines.push(
        Object.freeze({
          namespace: l.namespace,
          family: l.family ?? 'ipv4',
          table: l.table,
          chain: l.chain,
          spec: l.spec,
        }),
      )
    r.lines = Object.freeze(lines) as RuleLine[]
  }
  return Object.freeze(r)
}

/** canonical(value), deeply frozen: `value` itself (frozen) where it is canonical already. */
function frozenCanonical(value: Json): Json {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    let same = true
    const items = value.map((v) => {
      const c = frozenCanonical(v)
      if (c !== v) same = false
      return c
    })
    return Object.freeze(same ? value : items) as Json[]
  }
  const keys = Object.keys(value)
  let same = true
  let values: {[key: string]: Json} | undefined
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!
    if (i > 0 && compareAddresses(keys[i - 1]!, k) >= 0) same = false
    const v = value[k]!
    const c = frozenCanonical(v)
    if (c !== v) (values ??= {})[k] = c
  }
  if (same && values === undefined) return Object.freeze(value)
  const out: {[key: string]: Json} = {}
  for (const k of keys.sort(compareAddresses)) out[k] = values?.[k] ?? value[k]!
  return Object.freeze(out)
}

// --- Decoding ---------------------------------------------------------------------

/**
 * Parses a state file's text. `file` is used only in messages. Older formats go
 * through `upgrades`; a newer format is refused. Every problem is an AbortError
 * naming the file and the offending field.
 */
export function decodeState(text: string, file: string, upgrades: readonly StateUpgrade[] = STATE_UPGRADES): State {
  if (text.trim() === '')
    throw new AbortError(
      `state file ${file} is empty`,
      `restore it from ${file}.backup, or delete it if dockwall manages nothing on this host`,
    )
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    throw new AbortError(
      `state file ${file} is not valid JSON: ${(error as Error).message}`,
      `restore it from ${file}.backup`,
    )
  }
  if (!isObject(raw))
    throw new AbortError(
      `${file} is not a dockwall state file (expected a JSON object)`,
      `restore it from ${file}.backup`,
    )
  const upgraded = upgradeRawState(raw, file, upgrades)
  // The schema's verdict, without its cost when the file is plainly right (a state of 20,000
  // rules took zod 4x as long as JSON.parse, and its copies most of the garbage collection).
  let d: z.output<typeof stateSchema>
  if (plainState(upgraded)) d = upgraded
  else {
    const parsed = stateSchema.safeParse(upgraded)
    if (!parsed.success)
      throw new AbortError(
        `state file ${file} is invalid:\n${formatIssues(parsed.error.issues, upgraded)}`,
        `fix the field, or restore ${file}.backup`,
      )
    d = parsed.data
  }
  // Frozen and known valid; their text is made when a state is written (a plan that writes
  // nothing never pays for it).
  const resources = d.resources.map((r) => {
    const resource = decodedResource(r)
    validated.add(resource)
    return resource
  })
  return {
    version: STATE_VERSION,
    serial: d.serial,
    lineage: d.lineage,
    dockwallVersion: d.dockwall_version,
    resources: Object.freeze(isSorted(resources) ? resources : sortResources(resources)) as StateResource[],
  }
}

/** Resources in address order (a file dockwall wrote always is). */
function isSorted(resources: readonly StateResource[]): boolean {
  for (let i = 1; i < resources.length; i++)
    if (compareAddresses(resources[i - 1]!.address, resources[i]!.address) >= 0) return false
  return true
}

// --- A fast path for the schema --------------------------------------------------------
//
// Checks that accept only what stateSchema and resourceSchema accept, in plain code: a
// state of 20,000 rules is validated in a few milliseconds instead of hundreds. Anything
// they do not accept goes to the schema, which decides and words the message (format.test.ts
// compares the two on mutated states).

const RESOURCE_TYPE_SET: ReadonlySet<string> = new Set(RESOURCE_TYPES)
const RESOURCE_KEYS: ReadonlySet<string> = new Set(['address', 'type', 'ids', 'attributes', 'lines'])
const HEADER_KEYS: ReadonlySet<string> = new Set([...Object.keys(headerShape), 'resources'])

function plainObject(v: unknown): v is {[key: string]: unknown} {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype
}

/** An object whose own keys all belong to `keys` (none inherited, no `__proto__`). */
function onlyKeys(v: {[key: string]: unknown}, keys: ReadonlySet<string>): boolean {
  for (const k in v) if (!keys.has(k) || !Object.hasOwn(v, k)) return false
  return true
}

/** A record of strings, as z.record(z.string(), z.string()) accepts it. */
function plainStrings(v: unknown): boolean {
  if (!plainObject(v)) return false
  for (const k in v) if (k === '__proto__' || !Object.hasOwn(v, k) || typeof v[k] !== 'string') return false
  return true
}

/** A record of JSON values, as the attributes schema accepts it. */
function plainAttributes(v: unknown): boolean {
  if (!plainObject(v)) return false
  for (const k in v) if (k === '__proto__' || !Object.hasOwn(v, k) || !isJsonValue(v[k])) return false
  return true
}

/** A resource as the file spells it that resourceSchema accepts (`inMemory`: lines carry `family` always). */
function plainResource(v: unknown, inMemory: boolean): boolean {
  if (!plainObject(v) || !onlyKeys(v, RESOURCE_KEYS)) return false
  const {address, type, ids, attributes, lines} = v
  return (
    typeof address === 'string' &&
    address !== '' &&
    typeof type === 'string' &&
    RESOURCE_TYPE_SET.has(type) &&
    plainStrings(ids) &&
    plainAttributes(attributes) &&
    (lines === undefined || plainLines(lines, inMemory))
  )
}

/** The fast path's verdict and the schema's on one decoded object: for the test that compares them. */
export function stateVerdicts(raw: RawState): {fast: boolean; schema: boolean} {
  return {fast: plainState(raw), schema: stateSchema.safeParse(raw).success}
}

/** An array of lines the schema accepts (a loop, not every(): that skips the holes of a sparse array). */
function plainLines(lines: unknown, inMemory: boolean): boolean {
  if (!Array.isArray(lines)) return false
  for (let i = 0; i < lines.length; i++) if (!plainLine(lines[i], inMemory)) return false
  return true
}

/** A whole (upgraded) state that stateSchema accepts, its refinement (addresses, duplicates) included. */
function plainState(v: RawState): v is z.output<typeof stateSchema> {
  if (!onlyKeys(v, HEADER_KEYS) || !Array.isArray(v.resources)) return false
  const {resources, ...header} = v
  if (!headerSchema.safeParse(header).success) return false
  const seen = new Set<string>()
  for (const r of resources as unknown[]) {
    if (!plainResource(r, false)) return false
    const {address, type} = r as DiskResource
    if (seen.has(address) || resourceAddressError(address, type)) return false
    seen.add(address)
  }
  return true
}

/**
 * Brings a decoded object of any supported format up to `target` one step at a
 * time. Exported with `target` so tests can exercise a longer chain than exists.
 */
export function upgradeRawState(
  raw: RawState,
  file: string,
  upgrades: readonly StateUpgrade[],
  target: number = STATE_VERSION,
): RawState {
  const version = raw.version
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
    throw new AbortError(
      `${file} is not a dockwall state file: "version" must be a whole number, found ${JSON.stringify(version) ?? 'nothing'}`,
      `restore it from ${file}.backup`,
    )
  }
  if (version > target) {
    const by = typeof raw.dockwall_version === 'string' ? `dockwall ${raw.dockwall_version}, ` : ''
    throw new AbortError(
      `state file ${file} was written by a newer dockwall (${by}format ${version}); upgrade dockwall`,
      `this dockwall reads state formats up to ${target}; install a dockwall that reads format ${version} (${file}.backup holds the state before its last write, if that was this dockwall's)`,
    )
  }
  let current = raw
  for (let v = version; v < target; v++) {
    const step = upgrades.find((u) => u.from === v)
    if (!step)
      throw new AbortError(
        `state file ${file} has format ${v}, which this dockwall cannot upgrade (no upgrade from format ${v})`,
      )
    try {
      current = step.upgrade(current)
    } catch (error) {
      throw new AbortError(
        `cannot upgrade state file ${file} from format ${v} to ${v + 1}: ${(error as Error).message}`,
      )
    }
    // A step that forgets to set the version would loop or skip steps: that is a bug in dockwall.
    if (current.version !== v + 1)
      throw new Error(`state upgrade from format ${v} produced format ${String(current.version)}, not ${v + 1}`)
  }
  return current
}

function formatIssues(issues: readonly z.core.$ZodIssue[], raw: RawState, max = 8): string {
  const lines = issues.slice(0, max).map((issue) => {
    const where = issue.path.length === 0 ? '(top level)' : formatPath(issue.path, raw)
    const what =
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (written by a newer dockwall, or edited by hand?)`
        : issue.message
    return `  ${where}: ${what}`
  })
  if (issues.length > max) lines.push(`  … and ${issues.length - max} more`)
  return lines.join('\n')
}

/** `resources[3] (rule.web).lines[0].table`: the address helps find the entry in a long file. */
function formatPath(path: readonly PropertyKey[], raw: RawState): string {
  let out = ''
  path.forEach((key, i) => {
    if (typeof key === 'number') {
      out += `[${key}]`
      if (i === 1 && path[0] === 'resources') {
        const resources = raw.resources
        const entry = Array.isArray(resources) ? (resources[key] as unknown) : undefined
        if (isObject(entry) && typeof entry.address === 'string') out += ` (${entry.address})`
      }
    } else {
      const k = String(key)
      out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `${out === '' ? '' : '.'}${k}` : `[${JSON.stringify(k)}]`
    }
  })
  return out
}

// --- Encoding ---------------------------------------------------------------------
//
// The bytes are what JSON.stringify(disk, null, 2) gives for the on-disk object
// with a fixed field order, resources sorted by address, and object keys inside ids
// and attributes sorted; arrays (lines, ports) keep their order because it means
// something. Resources are encoded one by one and the text of each is remembered
// for its canonical copy, which is deeply frozen so the memo can never go stale.
// Apply saves the state after every step: with the memo, a save re-encodes only
// what changed, not all 20,000 rules.

/** A resource's text at its place in the file (indented for the resources array), by canonical copy. */
const resourceText = new WeakMap<StateResource, string>()
/** The text of a whole (frozen, canonical, sorted) resources array. */
const arrayText = new WeakMap<readonly StateResource[], string>()
/** Resources decodeState validated (and froze): encoding them needs no second check. */
const validated = new WeakSet<StateResource>()

/**
 * The canonical copy of `r` (new, deeply frozen objects in a fixed key order) and
 * its text. `r` itself is left alone: callers may keep changing their own objects.
 */
function canonicalResource(r: StateResource): {resource: StateResource; text: string} {
  const known = resourceText.get(r)
  if (known !== undefined) return {resource: r, text: known}
  if (validated.has(r)) {
    // Decoded resources are canonical copies already (resourceFromDisk, deeply frozen): a
    // second copy of 20,000 of them cost an apply more than their text.
    const text = resourceTextOf(r)
    resourceText.set(r, text)
    return {resource: r, text}
  }
  const out: StateResource = {
    address: r.address,
    type: r.type,
    ids: canonical(r.ids) as {[k: string]: string},
    ...(r.origin !== undefined ? {origin: r.origin} : {}),
    ...(r.pendingMove ? {pendingMove: true as const} : {}),
    attributes: canonical(r.attributes) as {[k: string]: Json},
  }
  if (r.lines) {
    const lines = r.lines.map((l) =>
      Object.freeze({namespace: l.namespace, family: l.family, table: l.table, chain: l.chain, spec: l.spec}),
    )
    out.lines = Object.freeze(lines) as StateResource['lines']
  }
  const resource = deepFreeze(out)
  const text = resourceTextOf(resource)
  resourceText.set(resource, text)
  return {resource, text}
}

/** The text of a canonical resource at its place in the file (see canonicalResource). */
function resourceTextOf(r: StateResource): string {
  const disk = {
    address: r.address,
    type: r.type,
    ids: canonical(diskIds(r)) as {[k: string]: string},
    attributes: r.attributes,
  }
  // The text is JSON.stringify(resource, null, 2) re-indented for its place in the array. The
  // fields before `lines` go through JSON.stringify; the lines (most of a large state) are
  // written directly in the same layout, at a fraction of the cost (format.test.ts checks the
  // bytes are the same).
  const head = JSON.stringify(disk, null, 2).replaceAll('\n', '\n    ')
  if (!r.lines) return head
  return `${head.slice(0, -'\n    }'.length)},\n      "lines": ${linesText(r.lines)}\n    }`
}

/** A resource's `lines` as JSON.stringify(…, null, 2) prints them at their place in the file (four more spaces). */
function linesText(lines: readonly RuleLine[]): string {
  if (lines.length === 0) return '[]'
  const q = JSON.stringify
  const parts = lines.map(
    (l) =>
      `        {\n          "namespace": ${q(l.namespace)},\n${l.family === 'ipv4' ? '' : `          "family": ${q(l.family)},\n`}          "table": ${q(l.table)},\n          "chain": ${q(l.chain)},\n          "spec": ${q(l.spec)}\n        }`,
  )
  return `[\n${parts.join(',\n')}\n      ]`
}

const LINE_KEYS: ReadonlySet<string> = new Set(['namespace', 'family', 'table', 'chain', 'spec'])

/**
 * A cheap check that accepts only lines the schema accepts (anything else goes to the schema,
 * for its verdict and message). `inMemory`: a RuleLine, which always carries `family`; the
 * file writes it only for ip6tables lines.
 */
function plainLine(l: unknown, inMemory = true): boolean {
  if (!plainObject(l) || !onlyKeys(l, LINE_KEYS)) return false
  const {namespace, family, table, chain, spec} = l
  return (
    (namespace === 'host' || (typeof namespace === 'string' && /^container\.[A-Za-z0-9_.-]+$/.test(namespace))) &&
    (family === 'ipv4' || family === 'ipv6' || (!inMemory && family === undefined && !('family' in l))) &&
    (table === 'filter' || table === 'nat' || table === 'raw') &&
    typeof chain === 'string' &&
    chain !== '' &&
    typeof spec === 'string'
  )
}

/** resourceSchema.safeParse(resourceOnDisk(r)).success, without zod when the resource is plainly right. */
function resourceValid(r: StateResource): boolean {
  if (!validControl(r)) return false
  const disk = resourceOnDisk(r)
  return plainResource(disk, true) || resourceSchema.safeParse(disk).success
}

/** Throws (as a bug) for a resource that would not read back. */
function checkResource(r: StateResource): void {
  if (resourceValid(r)) return
  const check = resourceSchema.safeParse(resourceOnDisk(r))
  if (!check.success)
    throw new Error(
      `refusing to write an invalid state: resource ${r.address}:\n${formatIssues(check.error.issues, {})}`,
    )
  throw new Error(
    `refusing to write an invalid state: resource ${r.address}: origin must be one of ${ORIGINS.join(', ')}`,
  )
}

/** The typed control fields hold only values the file can spell (the schema sees them as strings in `ids`). */
function validControl(r: StateResource): boolean {
  return (r.origin === undefined || ORIGINS.includes(r.origin)) && (r.pendingMove === undefined || r.pendingMove)
}

/** Canonical, validated, sorted resources and the text of the `resources` array. */
export function encodeResources(resources: readonly StateResource[]): {resources: StateResource[]; text: string} {
  const done = arrayText.get(resources)
  if (done !== undefined) return {resources: resources as StateResource[], text: done}
  const sorted = sortResources(resources)
  const out: StateResource[] = []
  const texts: string[] = []
  for (const [i, r] of sorted.entries()) {
    if (i > 0 && sorted[i - 1]?.address === r.address)
      throw new Error(`refusing to write an invalid state: duplicate address ${r.address}`)
    const known = resourceText.get(r)
    // Only new or changed resources are checked; remembered ones were checked when made or read.
    if (known === undefined && !validated.has(r)) checkResource(r)
    const c = known === undefined ? canonicalResource(r) : {resource: r, text: known}
    out.push(c.resource)
    texts.push(c.text)
  }
  const text = texts.length === 0 ? '[]' : `[\n    ${texts.join(',\n    ')}\n  ]`
  Object.freeze(out)
  arrayText.set(out, text)
  return {resources: out, text}
}

/**
 * The canonical copies encodeResources would make of `resources` (checked the same way,
 * and remembered, so that encoding them afterwards costs only the join), a few at a time
 * with a turn of the event loop between them: for a caller that encodes a large
 * state while this process feeds a child through a pipe (apply stages the state while
 * iptables-restore reads its input from here).
 */
export async function canonicalResourcesAsync(resources: readonly StateResource[]): Promise<StateResource[]> {
  const out: StateResource[] = []
  let since = performance.now()
  for (const r of resources) {
    if (resourceText.has(r)) {
      out.push(r)
      continue
    }
    if (!validated.has(r)) checkResource(r)
    out.push(canonicalResource(r).resource)
    // A turn every 2 ms, not every resource: 20,000 turns cost more than the pipe needs.
    if (performance.now() - since > 2) {
      await new Promise<void>((resolve) => setImmediate(resolve))
      since = performance.now()
    }
  }
  return out
}

/**
 * The file's bytes. Refuses (as a bug) a state that would not read back, so a wrong
 * value can never reach the disk.
 */
export function encodeState(state: State): string {
  return encodeWithResources(state, encodeResources(state.resources).text)
}

/** The file's bytes around an already encoded resources array (see encodeResources). */
export function encodeWithResources(state: State, resourcesText: string): string {
  const header = {
    version: STATE_VERSION,
    serial: state.serial,
    lineage: state.lineage,
    dockwall_version: state.dockwallVersion,
  }
  const check = headerSchema.safeParse(header)
  if (!check.success)
    throw new Error(`refusing to write an invalid state:\n${formatIssues(check.error.issues, header)}`)
  const fields = Object.entries(header).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},\n`)
  return `{\n${fields.join('')}  "resources": ${resourcesText}\n}\n`
}

/** True when two states record the same things (serial and tool version aside): the test for bumping the serial. */
export function stateContentEqual(a: State, b: State): boolean {
  return a.lineage === b.lineage && sameResources(a.resources, b.resources)
}

/**
 * True when two lists of resources encode to the same text. Records equal field by field
 * encode alike, so only the others are encoded to compare (encoding 20,000 resources to
 * compare them cost a 20,000-rule plan ~10% of its CPU). Lists with a repeated address,
 * which no state holds, are compared by their text.
 */
export function sameResources(a: readonly StateResource[], b: readonly StateResource[]): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  const before = new Map(a.map((r) => [r.address, r]))
  const after = new Set(b.map((r) => r.address))
  if (before.size !== a.length || after.size !== b.length) return encodeResources(a).text === encodeResources(b).text
  return b.every((r) => {
    const was = before.get(r.address)
    return was !== undefined && (sameStateResource(was, r) || canonicalResource(was).text === canonicalResource(r).text)
  })
}

/**
 * Code-unit order, not localeCompare: the order, and so the bytes, must not depend
 * on the locale of the host that writes the file.
 */
export const compareAddresses = compareText

export function sortResources<T extends {address: string}>(resources: readonly T[]): T[] {
  return [...resources].sort((x, y) => compareAddresses(x.address, y.address))
}

/** Objects with sorted keys, recursively; arrays keep their order. */
function canonical(value: Json): Json {
  if (Array.isArray(value)) return value.map((v) => canonical(v))
  if (value !== null && typeof value === 'object') {
    const out: {[key: string]: Json} = {}
    for (const key of Object.keys(value).sort(compareAddresses)) {
      const v = value[key]
      if (v !== undefined) out[key] = canonical(v)
    }
    return out
  }
  return value
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

function isObject(v: unknown): v is RawState {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
