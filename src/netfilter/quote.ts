// Quoting exactly as iptables does it.
//
// Writing: xtables_save_string() (libxtables/xtables.c) prints a value bare when it
// is non-empty and only [A-Za-z0-9_-]; otherwise in double quotes, with a backslash
// before each `"`, `\` and `'`. Only string-valued options go through it (comment,
// log-prefix, nflog-prefix, string...); iptables-save prints other values raw.
//
// Reading: add_param_to_argv() (iptables/xshared.c), used by iptables-restore for each
// rule line: blanks (space, tab, newline) separate words outside quotes; `"` opens and
// closes a quoted part and a closing quote ends the word (so `""` is an empty word);
// inside quotes a backslash takes the next character literally; outside quotes a
// backslash and a single quote are ordinary characters.

export interface Token {
  value: string
  /** Some part of the word was inside double quotes: it is a value, never an option or `!`. */
  quoted: boolean
}

const BARE = /^[A-Za-z0-9_-]+$/

/** The word as iptables-save prints a string value. */
export function quoteArg(value: string): string {
  if (BARE.test(value)) return value
  return `"${value.replace(/["\\']/g, (c) => `\\${c}`)}"`
}

/**
 * A word as it must be written so iptables-restore reads it back unchanged: bare when
 * that is unambiguous, otherwise quoted as above. Used for values iptables-save prints
 * raw (addresses, ports...), which never need quotes in practice.
 */
export function restoreWord(value: string): string {
  if (value === '') return '""'
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    // blanks iptables-restore splits on (space, tab, newline), other whitespace, and quotes
    if (c === 34 || c === 32 || c === 9 || c === 10 || c === 11 || c === 12 || c === 13) return quoteArg(value)
  }
  return value
}

export class UnterminatedQuoteError extends Error {
  constructor(readonly input: string) {
    super('unterminated double quote')
    this.name = 'UnterminatedQuoteError'
  }
}

/** Splits a rule line into words as iptables-restore does. */
export function tokenize(line: string): Token[] {
  const out: Token[] = []
  const n = line.length
  let i = 0
  while (i < n) {
    let c = line.charCodeAt(i)
    if (c === 32 || c === 9 || c === 10) {
      i++
      continue
    }
    // one word: runs of plain characters and quoted parts, up to a blank or a closing quote
    let buf = ''
    let quoted = false
    let start = i
    while (i < n) {
      c = line.charCodeAt(i)
      if (c === 32 || c === 9 || c === 10) break
      if (c !== 34) {
        i++
        continue
      }
      buf += line.slice(start, i)
      quoted = true
      i++ // opening quote
      let closed = false
      start = i
      while (i < n) {
        c = line.charCodeAt(i)
        if (c === 92) {
          // backslash: the next character is literal
          buf += line.slice(start, i)
          i++
          if (i >= n) break
          start = i
          i++
          continue
        }
        if (c === 34) {
          closed = true
          break
        }
        i++
      }
      if (!closed) throw new UnterminatedQuoteError(line)
      buf += line.slice(start, i)
      i++ // the closing quote ends the word, even an empty one
      break
    }
    out.push(quoted ? {value: buf, quoted: true} : {value: line.slice(start, i), quoted: false})
  }
  return out
}
