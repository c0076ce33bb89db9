import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.keel/', 'web/dist/', 'coverage/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // The architecture rule of SPEC.md §3: modules import each other only through index.ts.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^\\.\\./(core|store|data|features|ml|tracking|registry|pipelines|serving|monitoring|server|cli)/(?!index\\.js$)',
              message: 'Import another module through its index.ts only.',
            },
          ],
        },
      ],
    },
  },
);
