// JSON Schema of the .hcl.json form, generated from the zod schemas the loader itself
// checks bodies with (so an attribute added there is here too), for editor completion
// and checking (`"$schema": ".../dockwall.schema.json"`). The description strings are the
// reference documentation of each block and attribute. The copy shipped in the package
// is schema/dockwall.schema.json; test/unit/config/json-schema.test.ts fails when it is
// stale (UPDATE_SCHEMA=1 rewrites it).
//
// The zod schemas describe values after evaluation; in a file, any value may instead be
// an expression string ("${var.x}"), and a reference is always one. The override below
// says so where the evaluated type is not already a string.
import {LABEL_MAX_LENGTH} from '../model/names.js'
import * as z from '../util/zod.js'
import {
  attachmentSchema,
  containerSchema,
  dockwallSchema,
  firewallSchema,
  importSchema,
  masqueradeSchema,
  assertSchema,
  networkSchema,
  optional,
  portForwardSchema,
  refSchema,
  routeSchema,
  ruleSchema,
  variableSchema,
} from './schema.js'

const EXPRESSION = {
  type: 'string',
  pattern: '\\$\\{',
  description: 'An expression: "${var.NAME}", or text with "${var.NAME}" interpolation.',
}
const REFERENCE = {
  type: 'string',
  pattern: '^\\$\\{(network|container)\\.[A-Za-z_][A-Za-z0-9_-]*\\}$',
  description: 'A reference: "${container.NAME}" or "${network.NAME}".',
}

const label = z.string().check(z.regex(new RegExp(`^[A-Za-z_][A-Za-z0-9_-]{0,${LABEL_MAX_LENGTH - 1}}$`)))
// Lists of blocks are not attribute values: they never take an expression.
const blockLists = new WeakSet<z.core.$ZodType>()
const many = <S extends z.ZodMiniType>(s: S) => {
  const list = z.array(s)
  blockLists.add(list)
  return z.union([s, list])
}
const labeled = <S extends z.ZodMiniType>(s: S) => z.record(label, many(s))

export function fileSchema() {
  // An id puts each block body once into $defs (named after the block) instead of
  // inlining it twice (as one object and as a list item). A fresh registry keeps the
  // ids out of zod's global one.
  const registry = z.registry<{id: string}>()
  const def = <S extends z.ZodMiniType>(s: S, id: string): S => {
    const c = s.clone()
    registry.add(c, {id})
    return c
  }
  const container = z.extend(containerSchema, {
    network: optional(
      z.record(label, many(def(attachmentSchema, 'attachment'))),
      'Attachments: network label → { ipv4_address, ipv6_address, aliases }.',
    ),
    route: optional(many(def(routeSchema, 'route')), 'Routes inside the container.'),
  })
  const file = z.strictObject({
    $schema: optional(z.string(), 'Where editors find this schema.'),
    dockwall: optional(many(def(dockwallSchema, 'dockwall')), 'Settings (at most one block).'),
    variable: optional(
      labeled(def(variableSchema, 'variable')),
      'Variables: a default, overridden by DOCKWALL_VAR_<name>, --var-file and --var.',
    ),
    network: optional(labeled(def(networkSchema, 'network')), 'Docker bridge networks.'),
    container: optional(labeled(def(container, 'container')), 'Existing containers: attachments and routes.'),
    rule: optional(labeled(def(ruleSchema, 'rule')), 'Filter rules.'),
    port_forward: optional(labeled(def(portForwardSchema, 'port_forward')), 'DNAT port forwards.'),
    masquerade: optional(labeled(def(masqueradeSchema, 'masquerade')), 'Source NAT (MASQUERADE).'),
    assert: optional(
      labeled(def(assertSchema, 'assert')),
      'Reachability the planned host must have: checked by plan, apply, test and watch.',
    ),
    firewall: optional(many(def(firewallSchema, 'firewall')), 'Host-wide defaults (at most one block).'),
    import: optional(many(def(importSchema, 'import')), 'Adopt existing Docker objects.'),
  })
  return {file, registry}
}

export function buildJsonSchema(): Record<string, unknown> {
  const {file, registry} = fileSchema()
  const schema = z.toJSONSchema(file, {
    metadata: registry,
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      const js = ctx.jsonSchema as Record<string, unknown>
      // `metadata: registry` replaces zod's global registry, where .describe() put the
      // field descriptions: copy them over.
      const description = z.globalRegistry.get(ctx.zodSchema)?.description
      if (description !== undefined && js.description === undefined) js.description = description
      if (ctx.zodSchema === refSchema) {
        for (const k of Object.keys(js)) delete js[k]
        Object.assign(js, REFERENCE)
        return
      }
      const t = js.type
      if (blockLists.has(ctx.zodSchema)) return
      if (
        t === 'boolean' ||
        t === 'number' ||
        t === 'integer' ||
        t === 'array' ||
        (t === 'string' && Array.isArray(js.enum))
      ) {
        const {description, default: def, ...rest} = js
        for (const k of Object.keys(js)) delete js[k]
        Object.assign(
          js,
          {anyOf: [rest, EXPRESSION]},
          description === undefined ? {} : {description},
          def === undefined ? {} : {default: def},
        )
      }
    },
  })
  return {
    $id: 'dockwall.schema.json',
    title: 'dockwall configuration (.hcl.json)',
    description:
      'The JSON form of the HCL configuration: the same blocks and fields. Expressions are strings: "${var.NAME}", "${container.NAME}".',
    ...schema,
  }
}
