// Child process for store.test.ts: writes a large, ever-changing state in a loop
// until it is killed. Prints `wrote <serial>` after each write.
// Usage: node --import ./ts-loader.mjs child-writer.ts STATE_PATH RESOURCES
import process from 'node:process'

import {putResource} from '../../../src/state/resources.js'
import {readState, writeState} from '../../../src/state/store.js'
import {rule, sampleState} from './samples.js'

const [statePath, count] = process.argv.slice(2)
if (!statePath || !count) throw new Error('usage: child-writer.ts STATE_PATH RESOURCES')

let prev = await readState(statePath)
const base = prev ?? sampleState([])
let state = {...base, resources: Array.from({length: Number(count)}, (_, i) => rule(`r${String(i).padStart(5, '0')}`))}
for (let round = 0; ; round++) {
  // Change one resource per round, so every write is a content change.
  state = putResource(state, rule('r00000', {attributes: {round}}))
  prev = await writeState(statePath, state, prev)
  state = prev
  process.stdout.write(`wrote ${prev.serial}\n`)
}
