import {describe, expect, it} from 'vitest'

import {shouldColor} from '../../../src/ui/index.js'

const tty = {isTTY: true}
const pipe = {isTTY: false}

describe('shouldColor', () => {
  it('colours a terminal, not a pipe', () => {
    expect(shouldColor(tty, {})).toBe(true)
    expect(shouldColor(pipe, {})).toBe(false)
    expect(shouldColor({}, {})).toBe(false)
  })

  it('respects NO_COLOR when it is set to anything but the empty string', () => {
    expect(shouldColor(tty, {NO_COLOR: '1'})).toBe(false)
    expect(shouldColor(tty, {NO_COLOR: 'true'})).toBe(false)
    expect(shouldColor(tty, {NO_COLOR: ''})).toBe(true)
  })

  it('lets FORCE_COLOR win, both ways (Node precedence)', () => {
    expect(shouldColor(pipe, {FORCE_COLOR: '1'})).toBe(true)
    expect(shouldColor(pipe, {FORCE_COLOR: ''})).toBe(true)
    expect(shouldColor(pipe, {FORCE_COLOR: '3', NO_COLOR: '1'})).toBe(true)
    expect(shouldColor(tty, {FORCE_COLOR: '0'})).toBe(false)
    expect(shouldColor(tty, {FORCE_COLOR: 'false'})).toBe(false)
  })

  it('does not colour a dumb terminal', () => {
    expect(shouldColor(tty, {TERM: 'dumb'})).toBe(false)
  })
})
