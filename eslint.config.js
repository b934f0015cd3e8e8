// Lint rules: typescript-eslint's recommended set; unused args prefixed with _ are allowed.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'scratch/', '.geoscout/', '**/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['bin/**/*.js'], languageOptions: { globals: { process: 'readonly' } } },
  // The web app runs in the browser, as plain ES modules (no build step).
  { files: ['server/web/public/**/*.js'], languageOptions: { globals: globals.browser } },
);
