// dockwall's zod: zod/mini, the functional API over the same core as zod (classic), so
// the schemas, their `_zod.def`, the issues and the JSON Schema are those of classic zod.
// Classic zod's methods (and the namespace object `z` that holds all of zod) made it the
// largest chunk of the bundle, about 380 kB compiled by every command. Imported as
// `import * as z from '../util/zod.js'`, only what dockwall uses is bundled.
//
// Every module takes zod from here, not from 'zod/mini' itself, so that the one setting
// classic zod makes on its own is made before any schema is used: the English messages
// (zod/mini has none until told, and says only "Invalid input"). Users read them in
// configuration, state and import errors. Only the English locale is imported, not
// `z.locales`, which holds every language zod ships.
//
// Classic zod also installs its memoizer (`config({memoizer})`), which lets a schema that
// contains itself parse values with reference cycles. No schema of dockwall contains
// itself (no z.lazy, no getters in shapes), and for such schemas the memoizer takes
// itself out on the first parse; so it is left out.
import en from 'zod/v4/locales/en.js'
import {config} from 'zod/mini'

config(en())

export * from 'zod/mini'
