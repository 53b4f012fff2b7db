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
}

interface Frame {
  node: JsonNode | undefined
  isObject: boolean
  /** Keys seen and their offsets, to find one given twice (a Map once the object is large). */
  keys: string[] | undefined
  offsets: number[] | undefined
  seen: Map<string, number> | undefined
  key: string | undefined
  keyStart: number
  keyEnd: number
}

/**
 * Scans text[start, end); levels up to `recordDepth` below the first value get nodes.
 * Offsets are of the whole text.
 */
export function scanJson(text: string, recordDepth: number, start = 0, end = text.length): JsonScan {
  const problems: JsonScanProblem[] = []
  const stack: Frame[] = []
  let root: JsonNode | undefined
  let i = start
  const attach = (node: JsonNode): void => {
    const parent = stack[stack.length - 1]
    if (!parent) {
      root ??= node
      return
    }
    if (!parent.node) return
    if (parent.isObject) {
      node.keyStart = parent.keyStart
      node.keyEnd = parent.keyEnd
      if (parent.key !== undefined) parent.node.keys?.set(parent.key, node)
    } else parent.node.items?.push(node)
  }
  const recording = (): boolean =>
    stack.length <= recordDepth && (stack.length === 0 || !!stack[stack.length - 1]!.node)
  while (i < end) {
    const c = text.charCodeAt(i)
    if (c === 32 || c === 10 || c === 13 || c === 9 || c === 0xfeff || c === 58 || c === 44) {
      i++
      continue
    }
    if (c === 123 || c === 91) {
      if (stack.length >= MAX_JSON_NESTING) {
        problems.push({
          start: i,
          end: i + 1,
          summary: 'Too deeply nested',
          detail: `dockwall reads at most ${MAX_JSON_NESTING} levels of nested objects and arrays.`,
        })
        return {problems, malformed: false, ...(root ? {root} : {})}
      }
      const isObject = c === 123
      let node: JsonNode | undefined
      if (recording()) {
        node = {kind: isObject ? 'object' : 'array', start: i, end: i + 1, keyStart: -1, keyEnd: -1}
        // The last recorded level gets no members: they are scanned when first asked for.
        if (stack.length < recordDepth) {
          if (isObject) node.keys = new Map()
          else node.items = []
        }
        attach(node)
      }
      stack.push({
        node,
        isObject,
        keys: undefined,
        offsets: undefined,
        seen: undefined,
        key: undefined,
        keyStart: -1,
        keyEnd: -1,
      })
      i++
      continue
    }
    if (c === 125 || c === 93) {
      const f = stack.pop()
      if (!f || f.isObject !== (c === 125)) return {problems, malformed: true, ...(root ? {root} : {})}
      if (f.node) f.node.end = i + 1
      const parent = stack[stack.length - 1]
      if (parent?.isObject) parent.key = undefined
      i++
      continue
    }
    const frame = stack[stack.length - 1]
    if (c === 34) {
      const close = stringEnd(text, i, end)
      if (close < 0) return {problems, malformed: true, ...(root ? {root} : {})}
      if (frame?.isObject && frame.key === undefined) {
        const key = decodeKey(text, i, close)
        if (key === undefined) return {problems, malformed: true, ...(root ? {root} : {})}
        const first = firstOffset(frame, key, i)
        if (first !== undefined) problems.push({start: i, end: close, summary: 'Duplicate key', key, first})
        frame.key = key
        frame.keyStart = i
        frame.keyEnd = close
      } else {
        if (recording()) attach({kind: 'scalar', start: i, end: close, keyStart: -1, keyEnd: -1})
        if (frame?.isObject) frame.key = undefined
      }
      i = close
      continue
    }
    // A number, true, false or null.
    let j = i
    while (j < end) {
      const d = text.charCodeAt(j)
      if (d === 44 || d === 125 || d === 93 || d === 32 || d === 10 || d === 13 || d === 9 || d === 58) break
      j++
    }
    if (j === i) return {problems, malformed: true, ...(root ? {root} : {})}
    if ((c >= 48 && c <= 57) || c === 45) {
      const raw = text.slice(i, j)
      if (raw.length > 15 || raw.includes('e') || raw.includes('E')) {
        const n = Number(raw)
        if (!Number.isFinite(n))
          problems.push({
            start: i,
            end: j,
            summary: 'Invalid number',
            detail: `${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw} is too large for a number (at most about 1.8e308).`,
          })
      }
    }
    if (recording()) attach({kind: 'scalar', start: i, end: j, keyStart: -1, keyEnd: -1})
    if (frame?.isObject) frame.key = undefined
    i = j
  }
  return {problems, malformed: stack.length > 0, ...(root ? {root} : {})}
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
