// Soak test for `dockwall watch` (issue 7), outside the default test run:
//   npm run soak                       10 minutes on the nft backend
//   npm run soak -- --duration 3m --backend legacy --restart-every 3s --interval 10s
// Runs watch (the built CLI) against a sandbox while container `web` restarts every few
// seconds, and checks two things:
// - memory stays flat: watch's RSS (VmRSS from /proc/<pid>/status) is sampled and
//   printed as start, min, max, end and the least-squares slope (overall and after the
//   first minute, which holds the start-up growth: JIT, parser, caches);
// - no rule stays missing longer than the reaction budget: the port forward inside
//   web's namespace is polled with iptables-save; for every new container process the
//   gap from its start (State.StartedAt) to the rule being there is recorded, as is any
//   later disappearance while the container runs. The worst gap is printed.
// Exit code 1 when a gap exceeded the budget, a restart never got its rule back, or
// watch did not survive; memory is reported (and fails only on clear growth over a
// run of 5 minutes or more).
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {parseArgs} from 'node:util'

import {Sandbox, type Backend} from '../sandbox/index.js'
import {formatDuration, parseDuration} from '../../src/state/duration.js'
import {run} from '../../src/util/exec.js'
import {containerStart, rssKb, setupScene, startWatch, type WatchChild} from './watch-harness.js'

export interface SoakOptions {
  durationMs: number
  backend: Backend
  restartEveryMs: number
  /** watch --interval. */
  intervalMs: number
  sampleEveryMs: number
  pollEveryMs: number
  budgetMs: number
  log: (line: string) => void
}

export interface RssFigures {
  startKb: number
  minKb: number
  maxKb: number
  endKb: number
  /** Least-squares slope over the whole run, kB per minute. */
  slopeKbPerMin: number
  /** The same after the first minute (or the first fifth of a shorter run). */
  slopeAfterWarmupKbPerMin: number
  samples: number
}

export interface SoakResult {
  options: Omit<SoakOptions, 'log'>
  restarts: number
  /** Per container process: ms from its start to the rule being in its namespace. */
  reactionMs: number[]
  /** Disappearances of the rule while the same container process ran, ms each. */
  laterGapsMs: number[]
  worstGapMs: number
  /** Container processes whose rule never appeared (and how long they lived, ms). */
  neverBack: number[]
  rss: RssFigures
  reconciliations: number
  failedReconciliations: number
  watchExitCode: number | null
  ok: boolean
  problems: string[]
}

function slope(points: {t: number; kb: number}[]): number {
  if (points.length < 2) return 0
  const n = points.length
  const mt = points.reduce((s, p) => s + p.t, 0) / n
  const mk = points.reduce((s, p) => s + p.kb, 0) / n
  const num = points.reduce((s, p) => s + (p.t - mt) * (p.kb - mk), 0)
  const den = points.reduce((s, p) => s + (p.t - mt) ** 2, 0)
  return den === 0 ? 0 : (num / den) * 60_000 // per minute (t in ms)
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

const MARKER = 'dockwall:port_forward.web_inside'

export async function soak(opts: SoakOptions): Promise<SoakResult> {
  const dir = await mkdtemp(join(tmpdir(), 'dockwall-soak-'))
  const sb = await Sandbox.start({backend: opts.backend})
  let watch: WatchChild | undefined
  const problems: string[] = []
  try {
    await setupScene(sb, join(dir, 'config'))
    watch = startWatch({
      sandbox: sb,
      config: join(dir, 'config'),
      args: ['--interval', formatDuration(opts.intervalMs)],
      env: {DOCKWALL_CACHE_DIR: join(dir, 'cache')},
    })
    await watch.waitFor((r) => r.msg === 'reconcile' && r.result === 'applied', {timeoutMs: 30_000})
    const w = watch
    opts.log(
      `watch pid ${w.pid} converged; soaking for ${formatDuration(opts.durationMs)} on ${opts.backend}, restarting web every ${formatDuration(opts.restartEveryMs)}`,
    )

    const t0 = Date.now()
    const end = t0 + opts.durationMs
    const rss: {t: number; kb: number}[] = []
    const reactionMs: number[] = []
    const laterGapsMs: number[] = []
    const neverBack: number[] = []
    let restarts = 0

    // Memory sampler
    const sampler = (async () => {
      while (Date.now() < end) {
        const kb = rssKb(w.pid)
        if (kb === null) {
          problems.push('watch exited during the soak')
          return
        }
        rss.push({t: Date.now() - t0, kb})
        await new Promise((r) => setTimeout(r, opts.sampleEveryMs))
      }
      const kb = rssKb(w.pid)
      if (kb !== null) rss.push({t: Date.now() - t0, kb})
    })()

    // Restarter
    const restarter = (async () => {
      while (Date.now() + opts.restartEveryMs < end) {
        await new Promise((r) => setTimeout(r, opts.restartEveryMs))
        await sb.docker.getContainer('web').restart({t: 1})
        restarts++
        if (restarts % 20 === 0)
          opts.log(
            `  ${restarts} restarts, ${Math.round((Date.now() - t0) / 1000)} s, RSS ${((rss.at(-1)?.kb ?? 0) / 1024).toFixed(1)} MB`,
          )
      }
    })()

    // Rule poller: per container process, when did the rule appear, and did it go missing later?
    const poller = (async () => {
      interface Proc {
        pid: number
        startedAt: number
        seen: boolean
        missingSince: number | null
      }
      const state: {current: Proc | null} = {current: null}
      const close = (): void => {
        const cur = state.current
        if (cur && !cur.seen) neverBack.push(Date.now() - cur.startedAt)
        if (cur && cur.missingSince !== null) laterGapsMs.push(Date.now() - cur.missingSince)
        state.current = null
      }
      while (Date.now() < end) {
        try {
          const c = await containerStart(sb, 'web')
          if (!c) close()
          else {
            if (state.current?.pid !== c.pid) {
              close()
              // The process that was running before the soak started is not a restart (its rule is there already): not counted.
              state.current = {pid: c.pid, startedAt: c.startedAt, seen: c.startedAt < t0, missingSince: null}
            }
            const cur = state.current!
            const {stdout} = await run(`iptables-${opts.backend}-save`, ['-t', 'nat'], {
              netns: {kind: 'pid', pid: c.pid},
            })
            const now = Date.now()
            const present = stdout.includes(MARKER)
            if (present && !cur.seen) {
              cur.seen = true
              reactionMs.push(now - cur.startedAt)
            } else if (present && cur.missingSince !== null) {
              laterGapsMs.push(now - cur.missingSince)
              cur.missingSince = null
            } else if (!present && cur.seen && cur.missingSince === null) {
              cur.missingSince = now
            }
          }
        } catch {
          // The process went away between inspect and nsenter (a restart): look again.
        }
        await new Promise((r) => setTimeout(r, opts.pollEveryMs))
      }
      close()
    })()

    await Promise.all([sampler, restarter, poller])
    // The last process had a fair chance only if it lived longer than the budget.
    const lastFair = neverBack.filter((lived) => lived > opts.budgetMs)

    const reconciles = w.records.filter((r) => r.msg === 'reconcile')
    const failed = reconciles.filter((r) => r.result === 'failed')
    const exitCode = await w.stop('SIGTERM', 30_000)
    watch = undefined

    const sorted = [...reactionMs].sort((a, b) => a - b)
    const worstGapMs = Math.max(0, ...sorted, ...laterGapsMs)
    const kbs = rss.map((p) => p.kb)
    const warm = rss.filter((p) => p.t >= Math.min(60_000, opts.durationMs / 5))
    const figures: RssFigures = {
      startKb: kbs[0] ?? 0,
      minKb: Math.min(...kbs),
      maxKb: Math.max(...kbs),
      endKb: kbs.at(-1) ?? 0,
      slopeKbPerMin: slope(rss),
      slopeAfterWarmupKbPerMin: slope(warm),
      samples: rss.length,
    }
    if (worstGapMs > opts.budgetMs) problems.push(`a rule stayed missing ${worstGapMs} ms (budget ${opts.budgetMs} ms)`)
    if (lastFair.length > 0)
      problems.push(
        `${lastFair.length} container process(es) never got the rule back (lived ${lastFair.join(', ')} ms)`,
      )
    if (exitCode !== 0) problems.push(`watch exited with ${exitCode} on SIGTERM`)
    if (opts.durationMs >= 5 * 60_000 && figures.slopeAfterWarmupKbPerMin > 2048)
      problems.push(`RSS grows ${(figures.slopeAfterWarmupKbPerMin / 1024).toFixed(2)} MB/min after warm-up`)

    const mb = (kb: number): string => (kb / 1024).toFixed(1)
    opts.log('')
    opts.log(
      `soak: ${formatDuration(opts.durationMs)} on ${opts.backend}; web restarted ${restarts} times (every ${formatDuration(opts.restartEveryMs)}); watch --interval ${formatDuration(opts.intervalMs)}`,
    )
    opts.log(
      `rule back after a container start: median ${percentile(sorted, 50)} ms, p95 ${percentile(sorted, 95)} ms, worst ${sorted.at(-1) ?? 'n/a'} ms over ${sorted.length} starts (poll every ${opts.pollEveryMs} ms; budget ${opts.budgetMs} ms)`,
    )
    opts.log(
      `rule missing later while the container ran: ${laterGapsMs.length === 0 ? 'never' : laterGapsMs.join(', ') + ' ms'}; never back: ${neverBack.length === 0 ? 'none' : neverBack.map((x) => `${x} ms`).join(', ')}`,
    )
    opts.log(`worst gap: ${worstGapMs} ms`)
    const took = reconciles
      .map((r) => Number(r.duration_ms))
      .filter(Number.isFinite)
      .sort((a, b) => a - b)
    opts.log(
      `reconciliations: ${reconciles.length} (${failed.length} failed${failed.length > 0 ? `: ${[...new Set(failed.map((f) => String(f.error)))].slice(0, 3).join('; ')}` : ''}); ` +
        `each took median ${percentile(took, 50)} ms, p95 ${percentile(took, 95)} ms, max ${took.at(-1) ?? 'n/a'} ms`,
    )
    opts.log(
      `watch RSS (MB): start ${mb(figures.startKb)}, min ${mb(figures.minKb)}, max ${mb(figures.maxKb)}, end ${mb(figures.endKb)}; slope ${(figures.slopeKbPerMin / 1024).toFixed(3)} MB/min overall, ${(figures.slopeAfterWarmupKbPerMin / 1024).toFixed(3)} MB/min after warm-up (${figures.samples} samples every ${formatDuration(opts.sampleEveryMs)})`,
    )
    opts.log(problems.length === 0 ? 'OK' : `PROBLEMS:\n  ${problems.join('\n  ')}`)
    const {log: _log, ...options} = opts
    return {
      options,
      restarts,
      reactionMs,
      laterGapsMs,
      worstGapMs,
      neverBack,
      rss: figures,
      reconciliations: reconciles.length,
      failedReconciliations: failed.length,
      watchExitCode: exitCode,
      ok: problems.length === 0,
      problems,
    }
  } finally {
    await watch?.stop('SIGKILL', 5000)
    await sb.stop()
    await rm(dir, {recursive: true, force: true})
  }
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const {values} = parseArgs({
    args: argv,
    options: {
      duration: {type: 'string', default: '10m'},
      backend: {type: 'string', default: 'nft'},
      'restart-every': {type: 'string', default: '3s'},
      interval: {type: 'string', default: '10s'},
      'sample-every': {type: 'string', default: '2s'},
      'poll-every': {type: 'string', default: '50ms'},
      budget: {type: 'string', default: '2s'},
    },
  })
  if (values.backend !== 'nft' && values.backend !== 'legacy')
    throw new Error(`--backend ${values.backend}: nft or legacy`)
  const result = await soak({
    durationMs: parseDuration(values.duration),
    backend: values.backend,
    restartEveryMs: parseDuration(values['restart-every']),
    intervalMs: parseDuration(values.interval),
    sampleEveryMs: parseDuration(values['sample-every']),
    pollEveryMs: parseDuration(values['poll-every']),
    budgetMs: parseDuration(values.budget),
    log: (l) => console.log(l),
  })
  return result.ok ? 0 : 1
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main()
}
