// The whole-process bench's --cpu-prof note (test/bench/whole.ts attribute): time by the part
// of dockwall it was spent in. The routes run from one bundled file, so a frame's part is
// found by its line among esbuild's module comments, not by its file.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {describe, expect, it} from 'vitest'

import {attribute, bundledModules} from '../../bench/whole.js'
import {REPO_ROOT} from '../../helpers/cli.js'

const BUNDLE = [
  "'use strict';", // 0
  '// dist/src/errors.js', // 1
  'class AbortError {}', // 2
  '// node_modules/zod/v4/core/core.js', // 3
  'function $constructor() {}', // 4
  '// dist/src/plan/firewall-changes.js', // 5
  'function planFirewall() {}', // 6
].join('\n')

/** A profile whose samples each spend `ms` in one frame. */
function profile(frames: Array<{functionName: string; url: string; lineNumber?: number; ms: number}>) {
  return {
    nodes: frames.map((f, i) => ({
      id: i + 1,
      callFrame: {functionName: f.functionName, url: f.url, lineNumber: f.lineNumber},
    })),
    samples: frames.map((_, i) => i + 1),
    timeDeltas: frames.map((f) => f.ms * 1000),
  }
}

describe('attribute', () => {
  it('finds the module of a frame in a bundle by its line', () => {
    expect(bundledModules(BUNDLE)).toEqual([
      {line: 1, path: 'dist/src/errors.js'},
      {line: 3, path: 'node_modules/zod/v4/core/core.js'},
      {line: 5, path: 'dist/src/plan/firewall-changes.js'},
    ])
    const url = 'file:///pkg/dist/src/cli/fast-route.cjs'
    const parts = attribute(
      profile([
        {functionName: 'planFirewall', url, lineNumber: 6, ms: 30},
        {functionName: '$constructor', url, lineNumber: 4, ms: 20},
        {functionName: 'AbortError', url, lineNumber: 2, ms: 10},
        {functionName: '(garbage collector)', url: '', ms: 5},
        {functionName: 'readFileUtf8', url: 'node:fs', ms: 4},
      ]),
      (u) => (u === url ? BUNDLE : undefined),
    )
    expect(Object.fromEntries(parts.map(([k, s]) => [k, Math.round(s * 1000)]))).toEqual({
      'src/plan': 30,
      'package zod': 20,
      'src/errors.js': 10,
      'garbage collection': 5,
      'node internals (start-up, module loading, I/O)': 4,
    })
  })

  it('reads the built routes file: planFirewall is src/plan', () => {
    const file = join(REPO_ROOT, 'dist/src/cli/fast-route.cjs')
    const text = readFileSync(file, 'utf8')
    const line = text.split('\n').findIndex((l) => l.startsWith('function planFirewall('))
    expect(line).toBeGreaterThan(0)
    const url = pathToFileURL(file).href
    const parts = attribute(profile([{functionName: 'planFirewall', url, lineNumber: line, ms: 1}]), () => text)
    expect(parts.map(([k]) => k)).toEqual(['src/plan'])
  })
})
