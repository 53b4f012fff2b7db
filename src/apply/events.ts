// Apply emits events; the Ink view, the plain logger and the JSON-lines logger
// all subscribe to the same stream (one event stream, several loggers).
import type {Action} from '../plan/types.js'

export type ApplyEvent =
  | {type: 'apply_start'; total: number}
  | {type: 'change_start'; address: string; action: Action; description: string}
  | {type: 'change_done'; address: string; action: Action; elapsedMs: number; detail?: string}
  | {type: 'change_failed'; address: string; action: Action; elapsedMs: number; error: string}
  /** Not attempted because something it depends on failed. */
  | {type: 'change_skipped'; address: string; action: Action; reason: string}
  /**
   * The firewall phase: every change in it rides one of `transactions` (`host/filter`...), so all
   * of them start together and end together. Views may show it as one step when it is large.
   */
  | {type: 'batch_start'; label: string; changes: number; transactions: string[]}
  | {type: 'batch_done'; label: string; elapsedMs: number}
  | {type: 'state_saved'; serial: number}
  | {
      type: 'apply_done'
      ok: boolean
      /** Objects adopted (imports); an imported rule moved into dockwall's chain counts here, not as added. */
      imported?: number
      added: number
      changed: number
      destroyed: number
      /** The same counts for what the configuration implies (dockwall's chains, the firewall base): src/plan/summary.ts. */
      implied?: {added: number; changed: number; destroyed: number}
      failed: number
      skipped: number
      elapsedMs: number
    }

export type ApplyListener = (event: ApplyEvent) => void
