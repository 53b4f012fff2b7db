// --no-color and NO_COLOR for every library: apart from base-command.ts so that the
// routes of bin/run.js (fast-route.ts), which loads no oclif, applies it as init does.

/**
 * --no-color or NO_COLOR, made binding for every library: our views ask shouldColor(),
 * which reads FORCE_COLOR first, and chalk (Ink's colours) reads only FORCE_COLOR and
 * the --no-color of process.argv, when it is first imported (after this runs: Ink is
 * loaded on demand). FORCE_COLOR set by the user wins, as in shouldColor().
 */
export function applyColorChoice(env: NodeJS.ProcessEnv, noColorFlag: boolean): void {
  if (noColorFlag) env.NO_COLOR = '1'
  if (env.FORCE_COLOR === undefined && env.NO_COLOR !== undefined && env.NO_COLOR !== '') env.FORCE_COLOR = '0'
}
