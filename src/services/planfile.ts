// Saved plans (`plan --out FILE`): the plan plus the desired model it was made
// from, so `apply FILE` applies exactly it and can check that neither the state
// nor the host moved since. Written atomically, mode 0600.
import {randomUUID} from 'node:crypto'
import {readFile} from 'node:fs/promises'

import writeFileAtomic from 'write-file-atomic'

import {AbortError} from '../errors.js'
import type {DesiredModel} from '../model/types.js'
import {PLAN_FORMAT_VERSION, type Plan} from '../plan/types.js'
import {planFromWire, planToWire} from '../plan/wire.js'
import * as z from '../util/zod.js'

const PLANFILE_KIND = 'dockwall-plan'

export interface PlanFile {
  kind: typeof PLANFILE_KIND
  plan: Plan
  model: DesiredModel
  statePath: string
  /** The host as the plan read it, part by part (src/plan/planner.ts hostParts); absent in files of earlier dockwalls. */
  hostParts?: Record<string, string>
}

const header = z.object({
  kind: z.literal(PLANFILE_KIND),
  plan: z.looseObject({
    formatVersion: z.string(),
    mode: z.enum(['normal', 'destroy', 'refresh-only']),
    changes: z.array(z.unknown()),
    firewall: z.array(z.unknown()),
    actualHash: z.string(),
  }),
  model: z.looseObject({networks: z.array(z.unknown()), containers: z.array(z.unknown())}),
  statePath: z.string(),
  hostParts: z.optional(z.record(z.string(), z.string())),
})

export async function writePlanFile(path: string, file: Omit<PlanFile, 'kind'>): Promise<void> {
  const {plan, ...rest} = file
  const text = JSON.stringify({kind: PLANFILE_KIND, plan: planToWire(plan), ...rest})
  await writeFileAtomic(path, `${text}\n`, {mode: 0o600})
}

export async function readPlanFile(path: string): Promise<PlanFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new AbortError(
      `cannot read plan file ${path}: ${(err as Error).message}`,
      'create one with `dockwall plan --out FILE`',
    )
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new AbortError(`${path} is not a dockwall plan file (not JSON)`)
  }
  const parsed = header.safeParse(raw)
  if (!parsed.success)
    throw new AbortError(
      `${path} is not a dockwall plan file: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`.trim(),
    )
  if (parsed.data.plan.formatVersion !== PLAN_FORMAT_VERSION) {
    throw new AbortError(
      `${path} was written by a dockwall with plan format ${parsed.data.plan.formatVersion}; this one reads ${PLAN_FORMAT_VERSION}`,
      'make a new plan with this dockwall',
    )
  }
  const file = raw as PlanFile
  const plan = planFromWire(file.plan)
  // Plans saved before the plan chose the lineage carry only the prior's; a first apply's is chosen now.
  plan.lineage = (file.plan as Partial<Plan>).lineage ?? plan.prior.lineage ?? randomUUID()
  return {...file, plan}
}
