// Shared glue for the dockwall e2e tests (refresh, plan, plan-tui): the built CLI
// pointed at a sandbox (`--netns`, `--docker-host`, and run inside the sandbox's
// namespace as well, so a flag that were ignored could still not reach this
// machine's firewall), a private working directory per test file, and iptables
// inside a container's namespace through nsenter.
import {cpSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Sandbox} from '../sandbox/index.js'
import {run, type RunResult} from '../../src/util/exec.js'
import {REPO_ROOT, runCli, type CliResult} from '../helpers/cli.js'

export const E2E_FIXTURES = join(REPO_ROOT, 'fixtures', 'e2e')

export function fixturePath(...parts: string[]): string {
  return join(E2E_FIXTURES, ...parts)
}

export function readFixture(...parts: string[]): string {
  return readFileSync(fixturePath(...parts), 'utf8')
}

/** A scratch directory (state files, plan files, copied configurations); `remove()` in afterAll. */
export function workdir(label: string): {path: string; remove: () => void} {
  const path = mkdtempSync(join(tmpdir(), `dockwall-e2e-${label}-`))
  return {path, remove: () => rmSync(path, {recursive: true, force: true})}
}

/** Copies fixture directories (merged, later ones win) into `dest`: a configuration plus an extra file. */
export function copyConfig(dest: string, ...fixtureDirs: string[]): string {
  for (const dir of fixtureDirs) cpSync(fixturePath(dir), dest, {recursive: true})
  return dest
}

/** The flags that make the sandbox play the host. */
export function hostArgs(sb: Sandbox): string[] {
  return ['--netns', sb.netnsPath, '--docker-host', sb.dockerHost]
}

/**
 * Runs `dockwall ARGS` against the sandbox from `cwd`. DOCKER_HOST and DOCKWALL_NETNS are
 * cleared so only the flags (from hostArgs) point it somewhere; the HCL cache stays in `cwd`.
 */
export function dockwall(
  sb: Sandbox,
  cwd: string,
  args: readonly string[],
  opts: {env?: Record<string, string>; timeoutMs?: number; input?: string} = {},
): Promise<CliResult> {
  return runCli(args, {
    netns: sb.netnsPath,
    cwd,
    env: {DOCKER_HOST: '', DOCKWALL_NETNS: '', DOCKWALL_CACHE_DIR: join(cwd, '.cache'), ...opts.env},
    ...(opts.timeoutMs ? {timeoutMs: opts.timeoutMs} : {}),
    ...(opts.input !== undefined ? {input: opts.input} : {}),
  })
}

/** Parses a CLI's JSON stdout; on failure the message carries what it printed instead. */
export function parseJson<T>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T
  } catch {
    throw new Error(
      `expected JSON on stdout (exit code ${result.exitCode})\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
    )
  }
}

/** Fails with everything the command printed unless it exited with `code`. */
export function expectExit(result: CliResult, code: number): CliResult {
  if (result.exitCode !== code) {
    throw new Error(
      `expected exit code ${code}, got ${result.exitCode}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
    )
  }
  return result
}

/** Runs a backend-specific iptables tool (`iptables-nft-restore`...) inside a running container's network namespace. */
export async function inContainer(
  sb: Sandbox,
  container: string,
  file: string,
  args: readonly string[],
  input?: string,
): Promise<RunResult> {
  const pid = await sb.containerPid(container)
  return run(file, args, {netns: {kind: 'pid', pid}, ...(input === undefined ? {} : {input})})
}

export function containerRestore(sb: Sandbox, container: string, input: string): Promise<RunResult> {
  return inContainer(sb, container, `iptables-${sb.backend}-restore`, ['-w', '--noflush'], input)
}

export async function containerSave(sb: Sandbox, container: string): Promise<string> {
  return (await inContainer(sb, container, `iptables-${sb.backend}-save`, [])).stdout
}

/** `-A CHAIN …` lines of one table in iptables-save output, in order, as `[chain, spec]`. */
export function chainRules(save: string, table: string, chain: string): string[] {
  const out: string[] = []
  let current = ''
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) current = line.slice(1).trim()
    else if (current === table && line.startsWith(`-A ${chain} `)) out.push(line.slice(`-A ${chain} `.length))
  }
  return out
}

/** iptables-save without the date comments and counters: what must not move when nothing should change. */
export function stableSave(save: string): string {
  return save
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replaceAll(/\[\d+:\d+\]/g, '[0:0]'))
    .join('\n')
}
