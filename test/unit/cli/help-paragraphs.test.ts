// Help that reads well (issue 14, item 7): every text --help prints is written as
// paragraphs, one line each, and oclif wraps them to the terminal. A line broken by hand
// inside a paragraph comes out ragged once oclif wraps it again ("deferred until / a /
// container"). Allowed line breaks: before a list item (`- `, `1. `) and inside an
// indented block (a small table oclif keeps as it is).
import {readdirSync} from 'node:fs'
import {join} from 'node:path'

import type {Command} from '@oclif/core'
import {describe, expect, it} from 'vitest'

import {REPO_ROOT} from '../../helpers/cli.js'

/** `previous⏎next` for each line break inside a paragraph that continues its prose. */
export function hardWraps(text: string): string[] {
  const out: string[] = []
  for (const para of text.split(/\n\s*\n/)) {
    const lines = para.split('\n')
    if (lines.every((l) => /^\s/.test(l))) continue
    for (let i = 1; i < lines.length; i++)
      if (!/^(- |\d+\. )/.test(lines[i]!)) out.push(`${lines[i - 1]!.slice(-40)}⏎${lines[i]!.slice(0, 40)}`)
  }
  return out
}

/** Every command class under commands/, by id (`state rm`), with the help texts it carries. */
async function helpTexts(): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = []
  const walk = async (dir: string, prefix: string[]): Promise<void> => {
    for (const e of readdirSync(join(REPO_ROOT, 'commands', dir), {withFileTypes: true})) {
      if (e.isDirectory()) await walk(join(dir, e.name), [...prefix, e.name])
      else if (e.name.endsWith('.ts')) {
        const c = ((await import(join(REPO_ROOT, 'commands', dir, e.name))) as {default: Command.Class}).default
        const id = [...prefix, e.name.replace(/\.ts$/, '')].join(' ')
        const texts: Array<[string, string | undefined]> = [
          ['summary', c.summary],
          ['description', c.description],
          ...Object.entries(c.flags ?? {}).flatMap(([name, f]): Array<[string, string | undefined]> => [
            [`--${name} summary`, f.summary],
            [`--${name} description`, f.description],
          ]),
          ...Object.entries(c.args ?? {}).map(([name, a]): [string, string | undefined] => [`${name}`, a.description]),
          ...(c.examples ?? []).map((x, i): [string, string | undefined] => [
            `example ${i + 1}`,
            typeof x === 'string' ? x.split('\n')[0] : x.description,
          ]),
        ]
        for (const [where, text] of texts) if (text) out.push([`${id}: ${where}`, text])
      }
    }
  }
  await walk('.', [])
  return out
}

describe('hardWraps', () => {
  it('finds a paragraph broken by hand, and allows lists, indented tables and blank lines', () => {
    expect(hardWraps('Changes are deferred until\na container exists.')).toEqual([
      'Changes are deferred until⏎a container exists.',
    ])
    expect(hardWraps('One paragraph.\n\nAnother one.')).toEqual([])
    expect(hardWraps('It starts when:\n- a file changes;\n- SIGHUP arrives.')).toEqual([])
    expect(hardWraps('Three ways:\n1. one\n2. two')).toEqual([])
    expect(hardWraps('IDs:\n\n  network:  its name\n  attachment:  C/N')).toEqual([])
    // prose after a list is a new paragraph
    expect(hardWraps('- a\n- b\nThen more.')).toEqual(['- b⏎Then more.'])
  })
})

describe('--help texts', () => {
  it('are paragraphs, never broken by hand, in every command, flag, argument and example', async () => {
    const texts = await helpTexts()
    // Every command is read (plan, apply, import, the state topic...), and their flags.
    expect(texts.some(([w]) => w.startsWith('plan: description'))).toBe(true)
    expect(texts.some(([w]) => w.startsWith('state mv: '))).toBe(true)
    expect(texts.filter(([w]) => w.includes(' summary')).length).toBeGreaterThan(50)
    const wraps = texts.flatMap(([where, text]) => hardWraps(text).map((w) => `${where}: ${w}`))
    expect(wraps).toEqual([])
  })
})
