import js from '@eslint/js'
import prettier from 'eslint-config-prettier'
import tseslint from 'typescript-eslint'

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
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'child_process',
              message: 'Run external programs through src/util/exec.ts (execa with an argument array).',
            },
            {
              name: 'node:child_process',
              message: 'Run external programs through src/util/exec.ts (execa with an argument array).',
            },
          ],
        },
      ],
    },
  },
  // Layout is prettier's job (npm run format); this turns off the lint rules that would argue with it.
  prettier,
  {
    files: ['bin/**/*.js'],
    languageOptions: {globals: {process: 'readonly'}},
  },
)
