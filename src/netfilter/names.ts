// Validation of every name dockwall sends to iptables. Limits checked on iptables
// 1.8.9, both backends: chain names up to 28 bytes (29 is refused), none may start
// with `-` or `!` (nft refuses, legacy accepts and then cannot parse its own rules),
// none may be a standard target; comments longer than 255 bytes are silently cut to
// 255 by both backends, so we refuse them instead.
import {interfaceNameError} from '../model/names.js'
import {InvalidNameError} from './errors.js'
import {TABLE_NAMES, type TableName} from './types.js'

export const MAX_CHAIN_NAME = 28
export const MAX_COMMENT_BYTES = 255

const RESERVED_TARGETS = new Set(['ACCEPT', 'DROP', 'RETURN', 'QUEUE', 'NFQUEUE', 'CONTINUE'])
const CHAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/

/** A chain name dockwall may create or jump to. */
export function validateChainName(name: string): string {
  if (name.length === 0 || name.length > MAX_CHAIN_NAME) {
    throw new InvalidNameError(`chain name "${name}" must be 1 to ${MAX_CHAIN_NAME} characters`)
  }
  if (!CHAIN_NAME.test(name)) {
    throw new InvalidNameError(
      `chain name "${name}" may hold only letters, digits, "_", "." and "-", and not start with "-" or "."`,
    )
  }
  if (RESERVED_TARGETS.has(name)) throw new InvalidNameError(`chain name "${name}" is a standard target`)
  return name
}

export function validateTableName(name: string): TableName {
  if (!(TABLE_NAMES as readonly string[]).includes(name)) {
    throw new InvalidNameError(`unknown table "${name}" (expected one of ${TABLE_NAMES.join(', ')})`)
  }
  return name as TableName
}

/** An interface for `-i`/`-o` (the model's rule, src/model/names.ts): at most 15 characters, a trailing `+` matches a prefix. */
export function validateInterfaceName(name: string): string {
  const why = interfaceNameError(name, {wildcard: true})
  if (why) throw new InvalidNameError(`interface "${name}": ${why}`)
  return name
}

/** A `--comment` value: at most 255 bytes of UTF-8, no line breaks or control characters. */
export function validateComment(comment: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(comment))
    throw new InvalidNameError(`comment ${JSON.stringify(comment)} holds a control character`)
  const bytes = Buffer.byteLength(comment, 'utf8')
  if (bytes > MAX_COMMENT_BYTES) {
    throw new InvalidNameError(
      `comment ${JSON.stringify(comment)} is ${bytes} bytes; iptables keeps at most ${MAX_COMMENT_BYTES}`,
    )
  }
  return comment
}
