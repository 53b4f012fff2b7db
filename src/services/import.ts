// dockwall import: adopt one object into the state (Terraform style), scan the host
// into a configuration with import blocks, or convert a network-go networks.json.
import {access, writeFile} from 'node:fs/promises'

import {AbortError, ConfigError} from '../errors.js'
import {convertNetworksJson, generateConfig, type GenerateResult} from '../import/index.js'
import type {ConvertResult} from '../import/networks-json.js'
import {resolveImports} from '../plan/imports.js'
import {refreshSession} from './refresh.js'
import {newState, putResource, writeState, type StateResource} from '../state/index.js'
import {DOCKWALL_VERSION} from '../version.js'
import {connectHost, type Session, type SessionSettings} from './session.js'

/** Every address the configuration declares that an import can target. */
function declared(session: Session): Set<string> {
  const m = session.model
  return new Set([
    ...m.networks.map((n) => n.address),
    ...m.containers.flatMap((c) => c.attachments.map((a) => a.address)),
    ...[...m.rules, ...m.portForwards, ...m.masquerades].map((r) => r.address),
  ])
}

export interface ImportOneResult {
  address: string
  description: string
  /** For rules: the next plan moves the line into dockwall's chain. */
  moves: boolean
}

/** Adopts one existing object into the state; for a rule, the next plan moves it into dockwall's chain. */
export async function importOne(session: Session, address: string, id: string): Promise<ImportOneResult> {
  if (!declared(session).has(address)) {
    throw new AbortError(
      `${address} is not declared in the configuration`,
      `add the block for ${address} first (import adopts an object under an address the configuration declares), or generate one with \`dockwall import --all --generate-config-out FILE\``,
    )
  }
  if (session.state?.resources.some((r) => r.address === address)) {
    throw new AbortError(
      `${address} is already managed by dockwall (it is in the state)`,
      `forget it first with \`dockwall state rm ${address}\` if you mean to import another object`,
    )
  }
  const {actual} = await refreshSession(session)
  const resolved = resolveImports([{to: address, id}], actual, new Map())
  if (resolved.errors.length > 0) throw new ConfigError(resolved.errors)
  const resource = resolved.resources[0] as StateResource
  const prev = session.state
  const base = prev ?? newState(DOCKWALL_VERSION)
  session.state = await writeState(
    session.statePath,
    putResource({...base, dockwallVersion: DOCKWALL_VERSION}, resource),
    prev,
    {lock: session.lock},
  )
  return {address, description: resolved.descriptions.get(address) ?? 'imported', moves: resource.lines !== undefined}
}

async function refuseOverwrite(path: string): Promise<void> {
  try {
    await access(path)
  } catch {
    return
  }
  throw new AbortError(
    `${path} exists; dockwall import never overwrites a file`,
    'choose another file name, or move the existing file away',
  )
}

export interface ScanOptions {
  /** Where to scan (no configuration and no state are read: everything found is described). */
  settings: Pick<SessionSettings, 'netns' | 'dockerHost' | 'backend'>
  out: string
  /** The command line, written into the generated file's header. */
  command: string
}

/** Scans the host (Docker, and iptables on the host and in every running container) and writes a configuration with import blocks. */
export async function generateFromHost(opts: ScanOptions): Promise<GenerateResult> {
  const {docker, host} = await connectHost(opts.settings)
  await refuseOverwrite(opts.out)
  const scope = {docker, host, backend: opts.settings.backend ?? 'auto', model: null, state: null}
  const {actual} = await refreshSession(scope, {allContainers: true})
  const result = generateConfig(actual, {scannedAt: new Date(), command: opts.command})
  await writeFile(opts.out, result.hcl, {flag: 'wx', mode: 0o644})
  return result
}

/** Converts a network-go networks.json into dockwall's language. */
export async function convertNetworkGo(
  text: string,
  file: string,
  out: string,
  names: Record<string, string>,
): Promise<ConvertResult> {
  await refuseOverwrite(out)
  const result = convertNetworksJson(text, file, {names})
  await writeFile(out, result.hcl, {flag: 'wx', mode: 0o644})
  return result
}
