// e2e global setup: remove sandboxes that earlier runs left behind (a worker killed
// mid-test, a Ctrl-C at the wrong moment) before any test starts, and once more at the
// end for the ones this run's workers could not stop. Live sandboxes of other
// processes are left alone (see Sandbox.gc).
import {Sandbox} from '../sandbox/index.js'

async function collect(when: string): Promise<void> {
  const report = await Sandbox.gc()
  if (report.removed.length > 0) console.warn(`sandbox gc (${when}): removed ${report.removed.join(', ')}`)
  if (report.problems.length > 0)
    throw new Error(`sandbox gc (${when}) could not clean up: ${report.problems.join('; ')}`)
}

export async function setup(): Promise<() => Promise<void>> {
  await collect('before the run')
  return () => collect('after the run')
}
