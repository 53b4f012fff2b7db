// The engines the sandbox can run, by name, with no imports: vitest.config.ts builds
// the e2e projects from these (through test/helpers/matrix.ts).

/** `system`: the installed docker.io (Debian 12: 20.10); `trixie` (26.1) and `sid` (28.5): Debian's, unpacked privately. */
export type EngineName = 'system' | 'trixie' | 'sid'

export const ENGINE_NAMES: readonly EngineName[] = ['system', 'trixie', 'sid']

/** Picks the engine when a caller names none; each e2e vitest project sets it for its workers. */
export const ENGINE_VARIABLE = 'DOCKWALL_SANDBOX_ENGINE'

export function isEngineName(value: string): value is EngineName {
  return (ENGINE_NAMES as readonly string[]).includes(value)
}
