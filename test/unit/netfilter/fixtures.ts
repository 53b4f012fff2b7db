// The real iptables-save dumps in fixtures/iptables-dumps (see SOURCES.md there).
import {readdirSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import type {Family} from '../../../src/netfilter/types.js'

export const DUMP_DIR = fileURLToPath(new URL('../../../fixtures/iptables-dumps/', import.meta.url))

export interface Dump {
  file: string
  family: Family
  text: string
}

export function dumps(): Dump[] {
  return readdirSync(DUMP_DIR)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((file) => ({
      file,
      family: file.includes('ip6tables') ? 'ipv6' : 'ipv4',
      text: readFileSync(`${DUMP_DIR}${file}`, 'utf8'),
    }))
}

/** The dump's table, chain and rule lines (what restore reads), without comments and blank lines. */
export function contentLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'))
}
