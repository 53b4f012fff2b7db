// schema/dockwall.schema.json (shipped in the package) is generated from the zod schemas
// the loader checks with; this test fails when it is stale. Regenerate: UPDATE_SCHEMA=1 npx vitest run --project unit json-schema
import {readFile, writeFile} from 'node:fs/promises'

import {describe, expect, it} from 'vitest'

import {buildJsonSchema} from '../../../src/config/json-schema.js'

const FILE = 'schema/dockwall.schema.json'

describe('JSON Schema of the .hcl.json form', () => {
  it('is current', async () => {
    const text = `${JSON.stringify(buildJsonSchema(), null, 2)}\n`
    if (process.env.UPDATE_SCHEMA) await writeFile(FILE, text)
    const committed = await readFile(FILE, 'utf8').catch(() => '')
    expect(committed, `${FILE} is stale: run UPDATE_SCHEMA=1 npx vitest run --project unit json-schema`).toBe(text)
  })

  it('describes every block, strict bodies and expression strings', () => {
    const s = buildJsonSchema() as {
      properties: Record<string, unknown>
      $defs: Record<string, {additionalProperties?: boolean; required?: string[]; properties: Record<string, unknown>}>
    }
    expect(Object.keys(s.properties)).toEqual([
      '$schema',
      'dockwall',
      'variable',
      'network',
      'container',
      'rule',
      'port_forward',
      'masquerade',
      'assert',
      'firewall',
      'import',
    ])
    expect(s.$defs.rule?.additionalProperties).toBe(false)
    expect(s.$defs.assert?.required).toEqual(['from', 'to', 'expect'])
    expect(s.$defs.network?.required).toEqual(['subnet'])
    expect(s.$defs.rule?.required).toBeUndefined() // every rule field has a default or is optional
    expect(JSON.stringify(s.$defs.rule?.properties.in_container)).toContain('(network|container)')
    expect(JSON.stringify(s.$defs.firewall?.properties.allow_ssh)).toContain('\\\\$\\\\{')
  })

  it('documents every block and attribute (the descriptions are the reference)', () => {
    const s = buildJsonSchema() as {
      properties: Record<string, {description?: string}>
      $defs: Record<string, {properties?: Record<string, {description?: string}>}>
    }
    const missing = [
      ...Object.entries(s.properties)
        .filter(([, v]) => !v.description)
        .map(([k]) => k),
      ...Object.entries(s.$defs).flatMap(([block, def]) =>
        Object.entries(def.properties ?? {})
          .filter(([, v]) => !v.description)
          .map(([k]) => `${block}.${k}`),
      ),
    ]
    expect(missing).toEqual([])
  })

  it('is shipped in the package', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as {files: string[]}
    expect(pkg.files).toContain('schema')
  })
})
