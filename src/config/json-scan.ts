// One pass over a .hcl.json text, beside the native JSON.parse that builds its value:
// it records where the outer levels of the document are (blocks and their labels) and
// catches what JSON.parse lets through or cannot survive: a key given twice (JSON.parse
// keeps the last silently), a number too large to be one (1e400 becomes Infinity), and
// nesting deeper than any configuration needs (a 100,000-deep document would overflow
// the recursive steps after parsing). Iterative, so depth costs it nothing.
//
// Deeper levels are scanned again, one subtree at a time, when a message needs a
// position there (json-positions.ts).

export const MAX_JSON_NESTING = 64

export interface JsonNode {
  kind: 'object' | 'array' | 'scalar'
  start: number
  end: number
  /** Offset of the key's opening quote when this is an object member's value; -1 otherwise. */
  keyStart: number
  keyEnd: number
  /** Members (objects) or items (arrays), when this level was recorded. */
  keys?: Map<string, JsonNode>
  items?: JsonNode[]
}

export interface JsonScanProblem {
  start: number
  end: number
  summary: string
  detail?: string
  /** A repeated key: the key, and the offset of its first occurrence. */
  key?: string
  first?: number
}

export interface JsonScan {
  root?: JsonNode
  /** Problems JSON.parse would not report; a nesting problem stops the scan. */
  problems: JsonScanProblem[]
  /** The scan met text that is not JSON: JSON.parse's error (with positions from jsonc-parser) says what. */
  malformed: boolean
  /**
   * A quick scan only (see scanJsonQuick): the number of object members in the text, and
   * whether a number there may be too large. The full scan leaves these out.
   */
  members?: number
  bigNumber?: boolean
}

interface Frame {
  node: JsonNode | undefined
  isObject: boolean
  /** Keys seen and their offsets, to find one given twice (a Map once the object is large). */
  keys: string[] | undefined
  offsets: number[] | undefined
  seen: Map<string, number> | undefined
  key: string | undefined
  /** The key just read was given before: its node keeps the first one's place (see string). */
  repeated: boolean
  keyStart: number
  keyEnd: number
}

/**
 * Scans text[start, end); levels up to `recordDepth` below the first value get nodes.
 * Offsets are of the whole text.
 */
export function scanJson(text: string, recordDepth: number, start = 0, end = text.length): JsonScan {
  return new Scanner(text, recordDepth, end, false).run(start)
}

/**
 * The outline to `recordDepth` like scanJson, but below it only brackets, strings, colons
 * and long numbers are looked at: no repeated keys are looked for there and no number is
 * judged. Instead the scan counts the object members of the whole text (one colon outside
 * strings each) and says whether a number may be too large; JSON.parse keeps one member
 * per key, so a parsed value with fewer members (countMembers) had a key given twice. When
 * either says there may be a problem, or this scan reports one, the full scan (scanJson)
 * finds it with its position. Nesting is checked all the way down, as scanJson does.
 */
export function scanJsonQuick(text: string, recordDepth: number): JsonScan {
  return new Scanner(text, recordDepth, text.length, true).run(0)
}

/** The object members of a parsed JSON value, at every depth (the value nests at most MAX_JSON_NESTING deep). */
export function countMembers(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0
  let n = 0
  if (Array.isArray(v)) {
    for (const item of v) if (typeof item === 'object' && item !== null) n += countMembers(item)
    return n
  }
  const o = v as Record<string, unknown>
  for (const k in o) {
    n++
    const item = o[k]
    if (typeof item === 'object' && item !== null) n += countMembers(item)
  }
  return n
}

/** Offsets a step returns instead of the next one: the text is not JSON, or it nests too deep (reported). */
const MALFORMED = -1
const TOO_DEEP = -2

/** One scan: a stack of open objects and arrays, one step per token. */
class Scanner {
  readonly problems: JsonScanProblem[] = []
  private readonly stack: Frame[] = []
  private root: JsonNode | undefined
  /** Quick scans: colons outside strings, and whether a number may not fit a double. */
  private members = 0
  private bigNumber = false

  constructor(
    private readonly text: string,
    private readonly recordDepth: number,
    private readonly end: number,
    private readonly quick: boolean,
  ) {}

  run(start: number): JsonScan {
    const text = this.text
    let i = start
    while (i < this.end) {
      const c = text.charCodeAt(i)
      if (c === 32 || c === 10 || c === 13 || c === 9 || c === 0xfeff || c === 58 || c === 44) {
        if (c === 58) this.members++
        i++
        continue
      }
      if (c === 123 || c === 91) i = this.open(c, i)
      else if (c === 125 || c === 93) i = this.close(c, i)
      else if (c === 34) i = this.string(i)
      else i = this.scalar(c, i)
      if (i === MALFORMED) return this.result(true)
      if (i === TOO_DEEP) return this.result(false)
    }
    return this.result(this.stack.length > 0)
  }

  private result(malformed: boolean): JsonScan {
    return {
      problems: this.problems,
      malformed,
      ...(this.root ? {root: this.root} : {}),
      ...(this.quick ? {members: this.members, bigNumber: this.bigNumber} : {}),
    }
  }

  private attach(node: JsonNode): void {
    const parent = this.stack[this.stack.length - 1]
    if (!parent) {
      this.root ??= node
      return
    }
    if (!parent.node) return
    if (parent.isObject) {
      node.keyStart = parent.keyStart
      node.keyEnd = parent.keyEnd
      if (parent.key !== undefined && !parent.repeated) parent.node.keys?.set(parent.key, node)
    } else parent.node.items?.push(node)
  }

  private recording(): boolean {
    const depth = this.stack.length
    return depth <= this.recordDepth && (depth === 0 || !!this.stack[depth - 1]!.node)
  }

  /** The nesting limit reached by the `{` or `[` at `i`. */
  private tooDeep(i: number): number {
    this.problems.push({
      start: i,
      end: i + 1,
      summary: 'Too deeply nested',
      detail: `dockwall reads at most ${MAX_JSON_NESTING} levels of nested objects and arrays.`,
    })
    return TOO_DEEP
  }

  /** `{` or `[` at `i`. */
  private open(c: number, i: number): number {
    if (this.stack.length >= MAX_JSON_NESTING) return this.tooDeep(i)
    const isObject = c === 123
    let node: JsonNode | undefined
    if (this.recording()) {
      node = {kind: isObject ? 'object' : 'array', start: i, end: i + 1, keyStart: -1, keyEnd: -1}
      // The last recorded level gets no members: they are scanned when first asked for.
      if (this.stack.length < this.recordDepth) {
        if (isObject) node.keys = new Map()
        else node.items = []
      }
      this.attach(node)
    }
    if (this.quick && this.stack.length >= this.recordDepth) {
      const end = this.skip(i)
      if (end < 0) return end
      if (node) node.end = end
      const parent = this.stack[this.stack.length - 1]
      if (parent?.isObject) parent.key = undefined
      return end
    }
    this.stack.push({
      node,
      isObject,
      keys: undefined,
      offsets: undefined,
      seen: undefined,
      key: undefined,
      repeated: false,
      keyStart: -1,
      keyEnd: -1,
    })
    return i + 1
  }

  /**
   * Quick scans: past the object or array opening at `i`, below the recorded levels. Only
   * nesting is checked (reported as open() does); brackets of the wrong kind, strings that
   * do not close on their line and the like are JSON.parse's to find.
   */
  private skip(i: number): number {
    const text = this.text
    const end = this.end
    const base = this.stack.length
    let depth = 0
    for (let j = i; j < end; j++) {
      const c = text.charCodeAt(j)
      if (c === 34) {
        let q = text.indexOf('"', j + 1)
        for (;;) {
          if (q < 0 || q >= end) return MALFORMED
          let b = q - 1
          while (text.charCodeAt(b) === 92) b--
          if ((q - 1 - b) % 2 === 0) break
          q = text.indexOf('"', q + 1)
        }
        j = q
      } else if (c === 58) this.members++
      else if (c === 123 || c === 91) {
        if (base + depth >= MAX_JSON_NESTING) return this.tooDeep(j)
        depth++
      } else if (c === 125 || c === 93) {
        if (--depth === 0) return j + 1
      } else if ((c >= 48 && c <= 57) || c === 45) {
        let k = j + 1
        for (; k < end; k++) {
          const d = text.charCodeAt(k)
          if (!((d >= 48 && d <= 57) || d === 46 || d === 43 || d === 45)) break
        }
        const d = text.charCodeAt(k)
        // Only an exponent or more than 15 digits can leave a double's range.
        if (k - j > 15 || d === 101 || d === 69) this.bigNumber = true
        j = k - 1
      }
    }
    return MALFORMED
  }

  /** `}` or `]` at `i`. */
  private close(c: number, i: number): number {
    const f = this.stack.pop()
    if (!f || f.isObject !== (c === 125)) return MALFORMED
    if (f.node) f.node.end = i + 1
    const parent = this.stack[this.stack.length - 1]
    if (parent?.isObject) parent.key = undefined
    return i + 1
  }

  /** A string at `i`: an object's key (checked for a repeat), or a value. */
  private string(i: number): number {
    const close = stringEnd(this.text, i, this.end)
    if (close < 0) return MALFORMED
    const frame = this.stack[this.stack.length - 1]
    if (frame?.isObject && frame.key === undefined) {
      const key = decodeKey(this.text, i, close)
      if (key === undefined) return MALFORMED
      // A recorded object's members are in its node's map already, each at its key's first
      // place (attach keeps the first): no second map of 20,000 labels to find a repeat.
      const recorded = frame.node?.keys
      const first = recorded ? recorded.get(key)?.keyStart : firstOffset(frame, key, i)
      frame.repeated = first !== undefined
      if (first !== undefined) this.problems.push({start: i, end: close, summary: 'Duplicate key', key, first})
      frame.key = key
      frame.keyStart = i
      frame.keyEnd = close
    } else {
      if (this.recording()) this.attach({kind: 'scalar', start: i, end: close, keyStart: -1, keyEnd: -1})
      if (frame?.isObject) frame.key = undefined
    }
    return close
  }

  /** A number, true, false or null at `i`; a number too large for a double is reported. */
  private scalar(c: number, i: number): number {
    const text = this.text
    let j = i
    while (j < this.end) {
      const d = text.charCodeAt(j)
      if (d === 44 || d === 125 || d === 93 || d === 32 || d === 10 || d === 13 || d === 9 || d === 58) break
      j++
    }
    if (j === i) return MALFORMED
    if ((c >= 48 && c <= 57) || c === 45) {
      const raw = text.slice(i, j)
      if (raw.length > 15 || raw.includes('e') || raw.includes('E')) {
        const n = Number(raw)
        if (!Number.isFinite(n))
          this.problems.push({
            start: i,
            end: j,
            summary: 'Invalid number',
            detail: `${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw} is too large for a number (at most about 1.8e308).`,
          })
      }
    }
    if (this.recording()) this.attach({kind: 'scalar', start: i, end: j, keyStart: -1, keyEnd: -1})
    const frame = this.stack[this.stack.length - 1]
    if (frame?.isObject) frame.key = undefined
    return j
  }
}

/** Offset after the closing quote of the string at `i`; -1 when it does not close on its line. */
function stringEnd(text: string, i: number, end: number): number {
  for (let j = i + 1; j < end; j++) {
    const c = text.charCodeAt(j)
    if (c === 92) j++
    else if (c === 34) return j + 1
    else if (c === 10) return -1
  }
  return -1
}

function decodeKey(text: string, start: number, end: number): string | undefined {
  const raw = text.slice(start + 1, end - 1)
  if (!raw.includes('\\')) return raw
  try {
    return JSON.parse(text.slice(start, end)) as string
  } catch {
    return undefined
  }
}

/** The offset where `key` was first seen in this object, if it was; otherwise records it. */
function firstOffset(f: Frame, key: string, at: number): number | undefined {
  // Most objects are block bodies of a few keys: a list is cheaper than a Map for them.
  if (f.seen) {
    const first = f.seen.get(key)
    if (first === undefined) f.seen.set(key, at)
    return first
  }
  f.keys ??= []
  f.offsets ??= []
  const i = f.keys.indexOf(key)
  if (i >= 0) return f.offsets[i]
  f.keys.push(key)
  f.offsets.push(at)
  if (f.keys.length > 16) f.seen = new Map(f.keys.map((k, j) => [k, f.offsets![j]!]))
  return undefined
}
