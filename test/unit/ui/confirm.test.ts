import {PassThrough} from 'node:stream'
import {describe, expect, it} from 'vitest'

import {askApproval, askYes, confirmApply} from '../../../src/ui/index.js'
import {fixturePlan, smallPlan} from './fixtures.js'
import {captureStream} from './helpers.js'

/** Run the prompt against a fake terminal that types `input` (or ends without a line when null). */
async function answer(input: string | null, plan = smallPlan()): Promise<{ok: boolean; out: string}> {
  const stdin = new PassThrough()
  const stdout = captureStream()
  const result = confirmApply(plan, {stdin, stdout})
  if (input === null) stdin.end()
  else stdin.write(input)
  return {ok: await result, out: stdout.text()}
}

describe('confirmApply', () => {
  it("asks Terraform's question and accepts exactly yes", async () => {
    const {ok, out} = await answer('yes\n')
    expect(ok).toBe(true)
    expect(out).toMatchInlineSnapshot(`
      "
      Do you want to perform these actions?
        dockwall will perform the actions described above.
        Only 'yes' will be accepted to approve.

        Enter a value: 
      "
    `)
  })

  it('rejects anything else, y and YES included', async () => {
    for (const reply of ['no\n', 'y\n', 'YES\n', 'yes please\n', '\n'])
      expect((await answer(reply)).ok, reply).toBe(false)
  })

  it('accepts a CRLF line end (a Windows terminal or a here-string)', async () => {
    expect((await answer('yes\r\n')).ok).toBe(true)
  })

  it('treats end of input as no', async () => {
    expect((await answer(null)).ok).toBe(false)
  })

  it('tells a declined answer from no answer at all (a pipe that ends, /dev/null)', async () => {
    const ask = async (input: string | null) => {
      const stdin = new PassThrough()
      const result = askApproval(smallPlan(), {stdin, stdout: captureStream()})
      if (input === null) stdin.end()
      else stdin.end(input)
      return result
    }
    expect(await ask('yes\n')).toBe('approved')
    // Piped without a final newline, as `printf yes |` sends it.
    expect(await ask('yes')).toBe('approved')
    expect(await ask('no\n')).toBe('declined')
    expect(await ask('')).toBe('no-answer')
    expect(await ask(null)).toBe('no-answer')
  })

  it('re-refs stdin, which Ink unrefs when a review before the prompt unmounts', async () => {
    // Without it Node sees no live handle and exits in the middle of the question.
    const stdin = Object.assign(new PassThrough(), {
      refs: 0,
      ref() {
        this.refs++
        return this
      },
    })
    const result = confirmApply(smallPlan(), {stdin, stdout: captureStream()})
    stdin.write('yes\n')
    expect(await result).toBe(true)
    expect(stdin.refs).toBe(1)
  })

  it('uses the destroy wording for a destroy plan', async () => {
    const {out} = await answer('no\n', fixturePlan({mode: 'destroy'}))
    expect(out).toContain('Do you really want to destroy all resources?')
    expect(out).toContain("There is no undo. Only 'yes' will be accepted to confirm.")
  })

  it('writes no colour codes unless asked', async () => {
    const stdin = new PassThrough()
    const stdout = captureStream()
    const result = confirmApply(smallPlan(), {stdin, stdout, color: true})
    stdin.write('yes\n')
    await result
    expect(stdout.text()).toContain('\u001B[1mDo you want to perform these actions?\u001B[0m')
  })
})

describe('askYes (force-unlock of a live holder)', () => {
  it('prints the question and is true only for an exact yes; any other line, end of input, is no', async () => {
    const ask = async (input: string | null) => {
      const stdin = new PassThrough()
      const stdout = captureStream()
      const result = askYes(['Remove the lock of a running dockwall?', 'It may still change the host.'], {
        stdin,
        stdout,
      })
      if (input === null) stdin.end()
      else stdin.end(input)
      return {yes: await result, text: stdout.text()}
    }
    const yes = await ask('yes\n')
    expect(yes.yes).toBe(true)
    expect(yes.text).toContain('Remove the lock of a running dockwall?')
    expect((await ask('yes')).yes).toBe(true)
    expect((await ask('y\n')).yes).toBe(false)
    expect((await ask('no\n')).yes).toBe(false)
    expect((await ask(null)).yes).toBe(false)
  })
})
