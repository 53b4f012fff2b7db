// Key presses → review actions, without Ink: Ink's Key is read through the KeyPress
// subset, so the mapping is tested without a terminal (review-model.ts applies the actions).

export type ReviewAction =
  | {type: 'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'toggle' | 'quit'}
  | {type: 'openFilter' | 'applyFilter' | 'clearFilter' | 'backspace'}
  | {type: 'type'; text: string}

/** The subset of Ink's `Key` the review reads (so this module needs no Ink). */
export interface KeyPress {
  upArrow: boolean
  downArrow: boolean
  pageUp: boolean
  pageDown: boolean
  home: boolean
  end: boolean
  return: boolean
  escape: boolean
  backspace: boolean
  delete: boolean
  ctrl: boolean
  meta: boolean
  tab: boolean
}

const NO_KEY: KeyPress = {
  upArrow: false,
  downArrow: false,
  pageUp: false,
  pageDown: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  backspace: false,
  delete: false,
  ctrl: false,
  meta: false,
  tab: false,
}

/**
 * Ink hands over a burst of plain characters as one "paste" (`jjj` from key
 * repeat, `j\r` from a fast typist or tmux send-keys). Outside the filter
 * prompt every character is a command, so split the burst into key presses.
 */
export function splitKeys(input: string, key: KeyPress, prompting: boolean): [string, KeyPress][] {
  const special = (Object.keys(NO_KEY) as (keyof KeyPress)[]).some((k) => key[k])
  const chars = [...input]
  if (special || chars.length <= 1) return [[input, key]]
  const out: [string, KeyPress][] = []
  let text = ''
  const flushText = () => {
    if (text !== '') out.push([text, NO_KEY])
    text = ''
  }
  for (const ch of chars) {
    if (ch === '\r' || ch === '\n') {
      flushText()
      out.push(['', {...NO_KEY, return: true}])
    } else if (ch === '\x7f' || ch === '\b') {
      flushText()
      out.push(['', {...NO_KEY, backspace: true}])
    } else if (prompting) {
      // Pasted filter text stays one piece.
      text += ch
    } else {
      out.push([ch, NO_KEY])
    }
  }
  flushText()
  return out
}

export function keyToAction(input: string, key: KeyPress, prompting: boolean): ReviewAction | null {
  if (key.upArrow) return {type: 'up'}
  if (key.downArrow) return {type: 'down'}
  if (key.pageUp) return {type: 'pageUp'}
  if (key.pageDown) return {type: 'pageDown'}
  if (prompting) {
    if (key.escape) return {type: 'clearFilter'}
    if (key.return) return {type: 'applyFilter'}
    // Terminals send DEL (0x7f) for backspace, which Ink reports as either key.
    if (key.backspace || key.delete) return {type: 'backspace'}
    if (key.ctrl || key.meta || key.tab || input === '') return null
    return {type: 'type', text: input}
  }
  if (key.home) return {type: 'home'}
  if (key.end) return {type: 'end'}
  if (key.return) return {type: 'toggle'}
  if (key.escape) return {type: 'quit'}
  if (key.ctrl || key.meta) return null
  switch (input) {
    case 'k':
      return {type: 'up'}
    case 'j':
      return {type: 'down'}
    case ' ':
      return {type: 'toggle'}
    case 'g':
      return {type: 'home'}
    case 'G':
      return {type: 'end'}
    case '/':
      return {type: 'openFilter'}
    case 'q':
      return {type: 'quit'}
    default:
      return null
  }
}
