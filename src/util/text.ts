// Text helpers that load no ICU data. The first localeCompare of a process loads ICU's
// collator (12-17 ms on a 2-CPU machine) and sorts by the host's locale; the first
// toLocaleString loads its number formats (about 20 ms). A small plan or an apply paid
// both for orders and counts that are plain ASCII.

/** Code-unit order: the same on every host, whatever its locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** A non-negative integer with thousands separated by commas, as toLocaleString('en-US') prints it: 19,997. */
export function grouped(n: number): string {
  const digits = String(n)
  if (!Number.isSafeInteger(n) || n < 0) return n.toLocaleString('en-US')
  let out = ''
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ','
    out += digits[i]
  }
  return out
}
