// ESLint 9 flat config: TypeScript-aware rules (type-checked, with floating promises), React
// hooks for the interface. Formatting is Prettier's alone (.prettierrc.json): no style rules here.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['**/dist/**', '**/node_modules/**', 'bench/out/**', 'coverage/**', '.tmp/**'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // One program over the sources of every package and the tests (paths to src/): lint needs no build.
      parserOptions: { project: ['./tsconfig.eslint.json'], tsconfigRootDir: import.meta.dirname },
      globals: globals.node,
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `_name` says "deliberately unused" (a callback's first argument, a rest destructuring).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Interfaces here declare callbacks as methods (`actor()`, `run()`, a hook's `setFilter()`) and
      // none of them reads `this`: destructuring them is how they are meant to be used.
      '@typescript-eslint/unbound-method': 'off',
      // An `async` function without `await` is how a Fastify hook or a Command's `run` returns a promise.
      '@typescript-eslint/require-await': 'off',
      // cafsup matches control characters on purpose: to refuse them in stored text and escape them on a terminal.
      'no-control-regex': 'off',
    },
  },
  {
    // Tests read the JSON of processes and servers as `any` on purpose: the assertions are the types.
    files: ['test/**/*.ts', '**/*.test.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['packages/tui/src/ui/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
  {
    // Plain JavaScript (build scripts, benchmarks, the binary's entry): no type information.
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // The binary's entry is CommonJS (bin/cafsup.cjs says why).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
