// `npm run build`, after `oclif manifest`: renders oclif's help for the root, every command
// and every topic, by running the built CLI with the fast path off (`bin/run.js ID --help`,
// stdout a pipe), and stores the output in dist/help.json for bin/run.js's fast path
// (src/cli/fast-path.ts). test/unit/cli/fast-path.test.ts checks it against oclif's live output.
import {execFile} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import process from 'node:process'
import {promisify} from 'node:util'

import {NO_FAST_PATH_ENV, userAgent} from '../dist/src/cli/fast-path.js'

const run = promisify(execFile)
const manifest = JSON.parse(readFileSync('oclif.manifest.json', 'utf8'))
const pkg = JSON.parse(readFileSync('package.json', 'utf8'))

const ids = Object.keys(manifest.commands).map((id) => id.split(':'))
const topics = new Set()
for (const id of ids) for (let i = 1; i < id.length; i++) topics.add(id.slice(0, i).join(' '))
const subjects = ['', ...[...topics].sort(), ...ids.map((id) => id.join(' ')).sort()]

// The case the fast path answers: a pipe, no colours, none of what changes oclif's output.
const env = {...process.env, [NO_FAST_PATH_ENV]: '1', NO_COLOR: '1'}
for (const name of ['OCLIF_COLUMNS', 'DEBUG']) delete env[name]

async function render(subject) {
  const args = ['bin/run.js', ...(subject === '' ? [] : subject.split(' ')), '--help']
  const {stdout, stderr} = await run(process.execPath, args, {env, maxBuffer: 16 * 1024 * 1024})
  if (stderr !== '') throw new Error(`${args.join(' ')} wrote to stderr:\n${stderr}`)
  return stdout
}

const help = {}
const queue = [...subjects]
await Promise.all(
  [1, 2, 3].map(async () => {
    for (let s = queue.shift(); s !== undefined; s = queue.shift()) help[s] = await render(s)
  }),
)
const sorted = Object.fromEntries(subjects.map((s) => [s, help[s]]))
writeFileSync('dist/help.json', `${JSON.stringify({userAgent: userAgent(pkg.version), help: sorted})}\n`)
