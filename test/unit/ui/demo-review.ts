// Not a test: renders the fixture plan on a real terminal, to try the views by
// hand (or in tmux). Compile and run:
//   npx tsc --outDir node_modules/.cache/dw --rootDir . --module nodenext --moduleResolution nodenext \
//     --target es2022 --jsx react-jsx --skipLibCheck test/unit/ui/demo-review.ts
//   node node_modules/.cache/dw/test/unit/ui/demo-review.js [review|review-confirm|confirm|apply|apply-text|apply-fail|text]
import type {ApplyEvent} from '../../../src/apply/events.js'
import {
  confirmApply,
  createApplyReporter,
  renderPlan,
  reviewPlanInteractive,
  shouldColor,
} from '../../../src/ui/index.js'
import {fixturePlan, smallPlan} from './fixtures.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function simulateApply(kind: 'ink' | 'text', fail: boolean): Promise<void> {
  const reporter = createApplyReporter(kind, {stdout: process.stdout, stillRunningEveryMs: 2000})
  const emit = (e: ApplyEvent) => reporter.listener(e)
  const steps: {address: string; action: 'create' | 'update' | 'delete'; ms: number; fails?: boolean}[] = [
    {address: 'network.frontend', action: 'create', ms: 400},
    {address: 'container.lb.network.frontend', action: 'create', ms: 700},
    {address: 'rule.web_http', action: 'update', ms: 300, fails: fail},
    {address: 'rule.old_ssh', action: 'delete', ms: 200},
    {address: 'masquerade.backend_out', action: 'create', ms: 2500},
  ]
  emit({type: 'apply_start', total: steps.length})
  let added = 0
  let changed = 0
  let destroyed = 0
  let failed = 0
  let skipped = 0
  const started = Date.now()
  for (const s of steps) {
    if (fail && s.address === 'masquerade.backend_out') {
      emit({type: 'change_skipped', address: s.address, action: s.action, reason: 'upstream failed: rule.web_http'})
      skipped++
      continue
    }
    emit({type: 'change_start', address: s.address, action: s.action, description: `${s.action} ${s.address}`})
    await sleep(s.ms)
    if (s.fails) {
      emit({
        type: 'change_failed',
        address: s.address,
        action: s.action,
        elapsedMs: s.ms,
        error: 'iptables-restore: line 4 failed',
      })
      failed++
      continue
    }
    emit({type: 'change_done', address: s.address, action: s.action, elapsedMs: s.ms})
    if (s.action === 'create') added++
    else if (s.action === 'update') changed++
    else destroyed++
    emit({type: 'state_saved', serial: 8 + added + changed + destroyed})
  }
  emit({
    type: 'apply_done',
    ok: failed === 0,
    added,
    changed,
    destroyed,
    failed,
    skipped,
    elapsedMs: Date.now() - started,
  })
  await reporter.done()
}

const mode = process.argv[2] ?? 'review'
switch (mode) {
  case 'review':
    await reviewPlanInteractive(fixturePlan(), {stdin: process.stdin, stdout: process.stdout})
    process.stdout.write('review closed\n')
    break
  case 'review-confirm': {
    // The apply flow on a terminal: review, then the question on the same stdin.
    await reviewPlanInteractive(smallPlan(), {stdin: process.stdin, stdout: process.stdout})
    const ok = await confirmApply(smallPlan(), {
      stdin: process.stdin,
      stdout: process.stdout,
      color: shouldColor(process.stdout),
    })
    process.stdout.write(ok ? 'approved\n' : 'Apply cancelled.\n')
    if (ok) await simulateApply('ink', false)
    break
  }
  case 'confirm': {
    process.stdout.write(renderPlan(smallPlan(), {color: shouldColor(process.stdout)}))
    const ok = await confirmApply(smallPlan(), {
      stdin: process.stdin,
      stdout: process.stdout,
      color: shouldColor(process.stdout),
    })
    process.stdout.write(ok ? 'approved\n' : 'Apply cancelled.\n')
    break
  }
  case 'apply':
  case 'apply-fail':
    await simulateApply('ink', mode === 'apply-fail')
    break
  case 'apply-text':
    await simulateApply('text', false)
    break
  case 'text':
    process.stdout.write(renderPlan(fixturePlan(), {color: shouldColor(process.stdout), width: process.stdout.columns}))
    break
  default:
    process.stderr.write(`unknown mode ${mode}\n`)
    process.exitCode = 1
}
