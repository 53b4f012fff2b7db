import js from '@eslint/js'
import prettier from 'eslint-config-prettier'
import {createNodeResolver, importX} from 'eslint-plugin-import-x'
import tseslint from 'typescript-eslint'

// The layers of dockwall, top to bottom (docs/ARCHITECTURE.md). A module imports from its
// own folder and from the layers below it, never from a layer above, nor from a neighbour in
// its layer (services and ui, plan and explain, netfilter and docker, config and state know
// nothing of each other); only the bottom layer's parts may use one another.
const LAYERS = [
  ['commands'],
  ['src/cli'],
  ['src/watch'],
  ['src/services', 'src/ui'],
  ['src/apply'],
  ['src/plan', 'src/explain'],
  ['src/import'],
  ['src/refresh'],
  ['src/netfilter', 'src/docker', 'src/sandbox'],
  ['src/config', 'src/state'],
  ['src/model', 'src/util', 'src/errors.ts', 'src/version.ts'],
]
const BOTTOM = LAYERS.length - 1
const layerZones = LAYERS.flatMap((layer, i) =>
  layer.map((target) => ({
    target: `./${target}`,
    from: [...LAYERS.slice(0, i).flat(), ...(i === BOTTOM ? [] : layer.filter((x) => x !== target))].map(
      (x) => `./${x}`,
    ),
    message: `${target} is below these in the layering (commands -> cli -> watch -> services/ui -> apply -> plan -> import -> refresh -> netfilter/docker/sandbox -> config/state -> model/util/errors): move the shared piece down, or pass it in.`,
  })),
).filter((zone) => zone.from.length > 0)

const CHILD_PROCESS = ['child_process', 'node:child_process'].map((name) => ({
  name,
  message: 'Run external programs through src/util/exec.ts (execa with an argument array).',
}))
// Classic zod is about 380 kB that every command would compile, and zod/mini has no
// messages until src/util/zod.ts gives it the English ones.
const ZOD = ['zod', 'zod/v4', 'zod/mini', 'zod/v4/mini', 'zod/v4-mini'].map((name) => ({
  name,
  message: "Import zod as `import * as z from '../util/zod.js'` (zod/mini with zod's English messages).",
}))

export default tseslint.config(
  {ignores: ['dist/**', 'build/**', 'node_modules/**', 'oclif.manifest.json', 'fixtures/**']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': ['error', {paths: [...CHILD_PROCESS, ...ZOD]}],
    },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx', 'commands/**/*.ts'],
    plugins: {'import-x': importX},
    settings: {
      // TypeScript's NodeNext imports name the .js the .ts compiles to.
      'import-x/resolver-next': [createNodeResolver({extensionAlias: {'.js': ['.ts', '.tsx', '.js']}})],
    },
    rules: {'import-x/no-restricted-paths': ['error', {zones: layerZones}]},
  },
  {
    files: ['src/util/zod.ts'],
    rules: {'no-restricted-imports': ['error', {paths: CHILD_PROCESS}]},
  },
  // Layout is prettier's job (npm run format); this turns off the lint rules that would argue with it.
  prettier,
  {
    files: ['bin/**/*.js'],
    languageOptions: {globals: {process: 'readonly'}},
  },
)
