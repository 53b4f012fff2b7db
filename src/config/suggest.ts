// "Did you mean" hints: the closest candidate by edit distance, if it is close enough
// to be a plausible typo (Terraform's rule of thumb: at most a third of the word).

/**
 * Edit distance with adjacent transpositions counted as one edit (optimal string
 * alignment), so "prot" → "port" is one typo, not two.
 */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0
  if (a.length === 0) return b.length
  if (b.length === 0) return a.length
  const rows: number[][] = [Array.from({length: b.length + 1}, (_, j) => j)]
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1)
      row.push(d)
    }
    rows.push(row)
  }
  return rows[a.length]![b.length]!
}

/** The candidate nearest to `word`, or undefined when none is a likely typo. Case differences count as half. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestScore = Infinity
  const lower = word.toLowerCase()
  for (const c of candidates) {
    if (c === word) continue
    const cl = c.toLowerCase()
    // Ties go to a candidate that extends the word ("prot" → "proto" rather than "port").
    const prefix = cl.startsWith(lower) || lower.startsWith(cl) ? -0.25 : 0
    const score = (cl === lower ? 0.5 : levenshtein(lower, cl)) + prefix
    if (score < bestScore || (score === bestScore && best !== undefined && c < best)) {
      best = c
      bestScore = score
    }
  }
  if (best === undefined) return undefined
  const limit = Math.max(1, Math.floor(Math.max(word.length, best.length) / 3))
  return bestScore <= limit ? best : undefined
}

/** `; did you mean "x"?` or the empty string. */
export function didYouMean(
  word: string,
  candidates: Iterable<string>,
  render: (s: string) => string = (s) => `"${s}"`,
): string {
  const c = closest(word, candidates)
  return c === undefined ? '' : `; did you mean ${render(c)}?`
}
