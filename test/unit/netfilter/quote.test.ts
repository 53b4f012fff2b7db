import {describe, expect, it} from 'vitest'

import {quoteArg, tokenize} from '../../../src/netfilter/quote.js'

const words = (line: string): string[] => tokenize(line).map((t) => t.value)

describe('quoteArg (xtables_save_string)', () => {
  // Each pair: a comment as written, and how iptables-save 1.8.9 printed it back (both backends).
  it.each([
    ['abc-def_0', 'abc-def_0'],
    ['-x', '-x'],
    ['hello world', '"hello world"'],
    ['dockwall:rule.x', '"dockwall:rule.x"'],
    ['a"b', '"a\\"b"'],
    ['a\\b', '"a\\\\b"'],
    ["a'b", '"a\\\'b"'],
    ['', '""'],
    ['x=y', '"x=y"'],
    ['!', '"!"'],
    ['é', '"é"'],
    ['tab\tx', '"tab\tx"'],
  ])('%j is printed as %s', (value, printed) => {
    expect(quoteArg(value)).toBe(printed)
  })
})

describe('tokenize (add_param_to_argv)', () => {
  it('splits on spaces and tabs, collapsing runs', () => {
    expect(words('-A  FORWARD\t-j ACCEPT')).toEqual(['-A', 'FORWARD', '-j', 'ACCEPT'])
  })
  it('reads double-quoted words with backslash escapes', () => {
    expect(words('--comment "a \\"b\\" \\\\ c"')).toEqual(['--comment', 'a "b" \\ c'])
  })
  it('keeps a backslash outside quotes and single quotes as ordinary characters', () => {
    expect(words("a\\b 'single quoted'")).toEqual(['a\\b', "'single", "quoted'"])
  })
  it('makes an empty word of ""', () => {
    expect(tokenize('--comment "" -j X')).toEqual([
      {value: '--comment', quoted: false},
      {value: '', quoted: true},
      {value: '-j', quoted: false},
      {value: 'X', quoted: false},
    ])
  })
  it('ends a word at the closing quote', () => {
    expect(words('"a b"c')).toEqual(['a b', 'c'])
    expect(words('x"a b"')).toEqual(['xa b'])
  })
  it('marks quoted words so "-x" and "!" stay values', () => {
    expect(tokenize('"!" "-x" !')).toEqual([
      {value: '!', quoted: true},
      {value: '-x', quoted: true},
      {value: '!', quoted: false},
    ])
  })
  it('refuses an unterminated quote', () => {
    expect(() => tokenize('--comment "abc')).toThrow(/unterminated/)
  })
})
