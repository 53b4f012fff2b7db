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

function questionLines(plan: Plan): StyledLine[] {
  if (plan.mode === 'destroy') {
    return [
      [seg(DESTROY_QUESTION, {bold: true})],
      [seg('  dockwall will destroy all the networks, attachments and rules it manages, as shown above.')],
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
 * Ask for approval; true only when the answer is exactly `yes` (not `y`, not
 * `YES`). End of input or ctrl-c count as no. The command prints what happens
 * next (`Apply cancelled.`).
 */
export function confirmApply(plan: Plan, io: PromptIO): Promise<boolean> {
  const color = io.color ?? false
  io.stdout.write(
    `\n${questionLines(plan)
      .map((l) => toAnsi(l, color))
      .join('\n')}\n\n`,
  )
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
    const settle = (ok: boolean) => {
      if (settled) return
      settled = true
      io.stdout.write('\n')
      resolve(ok)
    }
    // Without this listener readline only pauses on ctrl-c and the prompt hangs.
    rl.on('SIGINT', () => rl.close())
    rl.on('close', () => settle(false))
    rl.question(toAnsi([seg('  Enter a value:', {bold: true}), seg(' ')], color), (answer) => {
      settle(answer === 'yes')
      rl.close()
    })
  })
}
