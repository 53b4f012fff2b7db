// One configuration file after syntax parsing, before anything is merged or evaluated.
import type {PositionIndex} from './source.js'

export interface ParsedFile {
  /** The path as shown in messages (the --config path joined with the file name). */
  file: string
  format: 'hcl' | 'json'
  /** The source text, for the line a message quotes. */
  text: string
  /**
   * The file as hcl2-parser's JSON: blocks as `{type: {label: [body]}}` or `{type: [body]}`,
   * expressions as "${...}" strings. The JSON form may also give a single body as an object.
   */
  body: Record<string, unknown>
  positions: PositionIndex
}
