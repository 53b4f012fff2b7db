// The apply confirmation, worded as Terraform's. Plain readline rather than
// Ink: a one-line question needs no layout, readline gives line editing on a
// TTY for free, works the same on a pipe or a fake stream in tests, and does
// not cost the ~0.4 s Ink import in front of every `apply`.
import {createInterface} from 'node:readline'

import type {Plan} from '../plan/types.js'
import {toAnsi, seg, type StyledLine} from './styled.js'

export interface PromptIO {
  /** `ref`/`unref` when it is a real stream handle (process.stdin). */
  stdin: NodeJS.ReadableStream & {isTTY?: boolean; ref?(): unknown; unref?(): unknown}
  stdout: NodeJS.WritableStream & {isTTY?: boolean}
  /** Bold question; default off. */
  color?: boolean
}

export const APPROVE_QUESTION = 'Do you want to perform these actions?'
export const DESTROY_QUESTION = 'Do you really want to destroy all resources?'
export const REFRESH_QUESTION = 'Would you like to update the dockwall state to reflect these detected changes?'

function questionLines(plan: Plan): StyledLine[] {
  if (plan.mode === 'destroy') {
    return [
      [seg(DESTROY_QUESTION, {bold: true})],
      [seg('  dockwall will destroy all the networks, attachments and rules it manages, as shown above.')],
      [seg("  There is no undo. Only 'yes' will be accepted to confirm.")],
    ]
  }
  if (plan.mode === 'refresh-only') {
    return [
      [seg(REFRESH_QUESTION, {bold: true})],
      [seg('  dockwall will write these changes to the state without modifying the host.')],
      [seg("  There is no undo. Only 'yes' will be accepted to confirm.")],
    ]
  }
  return [
    [seg(APPROVE_QUESTION, {bold: true})],
    [seg('  dockwall will perform the actions described above.')],
    [seg("  Only 'yes' will be accepted to approve.")],
  ]
}

/**
 * What the operator answered: exactly `yes` approves (not `y`, not `YES`); any other
 * line declines; end of input (a pipe that ran dry, /dev/null) or ctrl-c before a line
 * is no answer, which the command reports with a hint about --auto-approve.
 */
export type Approval = 'approved' | 'declined' | 'no-answer'

/**
 * Ask for approval; true only when the answer is exactly `yes`. End of input or ctrl-c
 * count as no. The command prints what happens next (`Apply cancelled.`).
 */
export async function confirmApply(plan: Plan, io: PromptIO): Promise<boolean> {
  return (await askApproval(plan, io)) === 'approved'
}

/**
 * The question, then one line from stdin: a terminal or, as Terraform reads it, a pipe
 * (`echo yes | dockwall apply`).
 */
export function askApproval(plan: Plan, io: PromptIO): Promise<Approval> {
  const color = io.color ?? false
  io.stdout.write(
    `\n${questionLines(plan)
      .map((l) => toAnsi(l, color))
      .join('\n')}\n\n`,
  )
  return readYes(io)
}

/** Reads the answer to a question just printed: `yes` approves, any other line declines, end of input or ctrl-c is no answer. */
function readYes(io: PromptIO): Promise<Approval> {
  const color = io.color ?? false
  return new Promise((resolve) => {
    // Ink unrefs stdin when the review before this prompt unmounts; an unref'd
    // stdin does not keep Node alive, and the process would exit mid-question.
    io.stdin.ref?.()
    const rl = createInterface({
      input: io.stdin,
      output: io.stdout,
      // Line editing and echo only when both ends are a terminal.
      terminal: Boolean(io.stdin.isTTY && io.stdout.isTTY),
    })
    let settled = false
    const settle = (answer: Approval) => {
      if (settled) return
      settled = true
      io.stdout.write('\n')
      resolve(answer)
    }
    // Without this listener readline only pauses on ctrl-c and the prompt hangs.
    rl.on('SIGINT', () => rl.close())
    // A last line without a newline (`printf yes |`) comes as a 'line' event at the end
    // of input, not as the question's answer.
    rl.on('line', (line) => settle(line === 'yes' ? 'approved' : 'declined'))
    rl.on('close', () => settle('no-answer'))
    rl.question(toAnsi([seg('  Enter a value:', {bold: true}), seg(' ')], color), (answer) => {
      settle(answer === 'yes' ? 'approved' : 'declined')
      rl.close()
    })
  })
}

/**
 * Waits on a terminal for one of `keys` (raw mode: no Enter needed), or Ctrl-C. Resolves
 * with the key, `interrupt` for Ctrl-C, or `closed` when the input ends or `cancel()`
 * is called. Restores the terminal either way.
 */
export function waitForKey(
  stdin: NodeJS.ReadStream,
  keys: readonly string[],
): {key: Promise<string>; cancel: () => void} {
  let cancel = (): void => {}
  const key = new Promise<string>((resolve) => {
    const raw = stdin.isTTY === true
    if (raw) stdin.setRawMode(true)
    stdin.ref()
    stdin.resume()
    let settled = false
    const done = (k: string): void => {
      if (settled) return
      settled = true
      stdin.off('data', onData)
      stdin.off('end', onEnd)
      if (raw) stdin.setRawMode(false)
      stdin.pause()
      stdin.unref()
      resolve(k)
    }
    const onData = (chunk: Buffer | string): void => {
      const text = chunk.toString()
      if (text.includes('\u0003')) return done('interrupt')
      const hit = keys.find((k) => text.includes(k))
      if (hit !== undefined) done(hit)
    }
    const onEnd = (): void => done('closed')
    stdin.on('data', onData)
    stdin.on('end', onEnd)
    cancel = () => done('closed')
  })
  return {key, cancel}
}

/**
 * A question that only an exact `yes` answers (force-unlock of a lock whose holder may
 * still run); any other line, end of input or ctrl-c is no.
 */
export async function askYes(lines: readonly string[], io: PromptIO): Promise<boolean> {
  const color = io.color ?? false
  io.stdout.write(`\n${lines.map((l, i) => toAnsi([seg(l, {bold: i === 0})], color)).join('\n')}\n\n`)
  return (await readYes(io)) === 'approved'
}
