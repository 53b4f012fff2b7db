// Prints, after vitest's own summary, one short block per failed test: project, file,
// test name and the start of its error. CI keeps only the tail of a long log, and the
// default reporter prints each failure's text above the summary, where it is cut: two red
// runs of the explain property test could not be read. Nothing is printed when all pass.
import type {Reporter, TestModule} from 'vitest/node'

/** Enough for a seed and its disagreeing probes; the full text is above, in the log. */
const MAX_CHARS = 1200

export default class FailureTailReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const lines: string[] = []
    for (const m of testModules) {
      const where = `${m.project.name} ${m.relativeModuleId}`
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0)
        lines.push(
          `FAILED ${where}: ${m
            .errors()
            .map((e) => e.message)
            .join('; ')
            .slice(0, MAX_CHARS)}`,
        )
      for (const t of m.children.allTests('failed')) {
        const r = t.result()
        const message = r.state === 'failed' ? (r.errors.map((e) => e.message).join('; ') ?? '') : ''
        lines.push(`FAILED ${where} > ${t.fullName}: ${message.replace(/\s+/g, ' ').slice(0, MAX_CHARS)}`)
      }
    }
    if (lines.length > 0) process.stdout.write(`\nFailed tests (again, at the end of the log):\n${lines.join('\n')}\n`)
  }
}
