// `node build/test/sandbox/fetch-engines.js [SUITE...]`: downloads and unpacks the
// newer engines of the test matrix (all by default) and prints each one's version.
// `.ci/setup` runs it, so downloads happen before the tests and a failed fetch fails
// the run loudly; it is quick when every engine is already unpacked.
import {DEBIAN_SUITES, type DebianSuite} from '../../src/sandbox/debian-engine.js'
import {resolveEngine} from '../../src/sandbox/engine.js'

async function main(): Promise<void> {
  const asked = process.argv.slice(2)
  for (const name of asked) {
    if (!(DEBIAN_SUITES as string[]).includes(name))
      throw new Error(`unknown engine ${name} (one of ${DEBIAN_SUITES.join(', ')})`)
  }
  const suites = asked.length > 0 ? (asked as DebianSuite[]) : DEBIAN_SUITES
  for (const suite of suites) {
    const engine = await resolveEngine(suite)
    console.log(`engine ${suite}: Docker ${engine.version} (${engine.dockerd})`)
  }
}

main().catch((error: unknown) => {
  console.error(`fetch-engines: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
})
