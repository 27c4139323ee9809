// Lint: typescript-eslint with type information, plus the layer rules of ARCHITECTURE.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'test/interop/**/*.py', 'src/codec/amqp/methods.generated.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // The codec is pure: bytes in, frames out. No broker, no sockets.
    files: ['src/codec/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['**/core/**', '**/frontend/**', '**/storage/**', 'node:net', 'node:tls'] },
      ],
    },
  },
  {
    // The core is protocol-neutral: it never sees a codec or a front end.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/codec/**', '**/frontend/**', 'node:net', 'node:tls'] }],
    },
  },
  {
    // Storage (and util) expose hooks the cluster layer uses (util/file-events.ts, storage/confirm-gate.ts)
    // and never import it: a single node runs without it.
    files: ['src/storage/**/*.ts', 'src/util/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/cluster/**', '**/frontend/**'] }],
    },
  },
  {
    // the management UI runs in the browser
    files: ['src/management/ui/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        document: 'readonly',
        window: 'readonly',
        location: 'readonly',
        fetch: 'readonly',
        sessionStorage: 'readonly',
        btoa: 'readonly',
        Blob: 'readonly',
        FormData: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', 'bin/*'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
  },
);
