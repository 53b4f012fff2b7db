// Preloaded into a benchmarked process (`node --import build/test/bench/maxrss.js ...`):
// at exit, writes the process's peak resident memory (kilobytes, getrusage's ru_maxrss)
// to the file named by DOCKWALL_BENCH_MAXRSS. Peak memory of a whole `dockwall` process.
import {writeFileSync} from 'node:fs'

const file = process.env.DOCKWALL_BENCH_MAXRSS
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)))
