// Child process for lock.test.ts.
//   increment STATE_PATH TAG GO_FILE: wait for GO_FILE (so all children race), then
//     under the lock read the state, add resource `rule.<TAG>`, write it, release.
//   increment-unlocked …: the same without the lock (the control experiment).
//   hold STATE_PATH: take the lock, print its info as JSON, and wait to be signalled.
//   exit STATE_PATH: take the lock, print its info, and exit without releasing it.
import {access} from 'node:fs/promises'
import process from 'node:process'
import {setTimeout as sleep} from 'node:timers/promises'

import {acquireLock} from '../../../src/state/lock.js'
import {putResource} from '../../../src/state/resources.js'
import {readState, writeState} from '../../../src/state/store.js'
import {rule, sampleState} from './samples.js'

const [mode, statePath, tag, goFile] = process.argv.slice(2)
if (!mode || !statePath) throw new Error('usage: child-locker.ts increment|hold|exit STATE_PATH [TAG GO_FILE]')

if (mode === 'increment' || mode === 'increment-unlocked') {
  if (!tag || !goFile) throw new Error('increment needs TAG and GO_FILE')
  process.stdout.write('ready\n')
  for (;;) {
    try {
      await access(goFile)
      break
    } catch {
      await sleep(5)
    }
  }
  const lock =
    mode === 'increment'
      ? await acquireLock(statePath, {timeoutMs: 120_000, operation: `test increment ${tag}`, maxPollMs: 50})
      : undefined
  const prev = await readState(statePath)
  // Widen the window in which an unlocked writer would interleave.
  await sleep(Math.random() * 30)
  await writeState(statePath, putResource(prev ?? sampleState([]), rule(tag)), prev)
  await lock?.release()
  process.stdout.write(`done ${tag}\n`)
} else {
  const lock = await acquireLock(statePath, {timeoutMs: 0, operation: `test ${mode}`})
  process.stdout.write(`${JSON.stringify(lock.info)}\n`)
  if (mode === 'exit') process.exit(0)
  setInterval(() => {}, 1000) // hold until signalled
}
