// parseIPv4 reads characters one by one; it must take exactly what the dotted-quad rule
// takes: four octets, "0" or 1-3 digits not starting with 0, each at most 255.
import {describe, expect, it} from 'vitest'

import {parseIPv4} from '../../../src/config/ipv4.js'

/** The rule as a regular expression per octet (how parseIPv4 was first written). */
function reference(text: string): number | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  let n = 0
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined
    const v = Number(p)
    if (v > 255) return undefined
    n = n * 256 + v
  }
  return n
}

describe('parseIPv4', () => {
  it('takes dotted quads and nothing else', () => {
    expect(parseIPv4('10.20.0.255')).toBe(0x0a1400ff)
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff)
    expect(parseIPv4('0.0.0.0')).toBe(0)
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.',
      '.1.2.3',
      '1..2.3',
      '01.2.3.4',
      '1.2.3.256',
      '1.2.3.1000',
      '1.2.3.4 ',
      '1.2.3.-4',
      '1.2.3.4/32',
      '0x1.2.3.4',
      '1.2.3.00',
    ])
      expect(parseIPv4(bad), bad).toBeUndefined()
  })

  it('agrees with the per-octet rule on 50,000 random strings of digits and dots', () => {
    let x = 7
    const rand = (n: number): number => {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      return (x >>> 0) % n
    }
    const alphabet = '0123456789..........1259a/ -'
    const digits = '0123456789000111222555'
    let valid = 0
    for (let k = 0; k < 50_000; k++) {
      let s = ''
      if (k % 2 === 0) for (let len = rand(17); len > 0; len--) s += alphabet[rand(alphabet.length)]
      else {
        // Dotted numbers: mostly four parts of up to four digits.
        const parts: string[] = []
        for (let p = 3 + rand(3) - (rand(4) === 0 ? 1 : 0); p > 0; p--) {
          let part = ''
          for (let len = rand(5); len > 0; len--) part += digits[rand(digits.length)]
          parts.push(part)
        }
        s = parts.join('.')
      }
      const want = reference(s)
      if (want !== undefined) valid++
      expect(parseIPv4(s), s).toBe(want)
    }
    expect(valid).toBeGreaterThan(100)
  })
})
