// Lint rules for every workspace: typescript-eslint with type information.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** One `no-restricted-imports` block per package: the packages it must not import, by name or by path. */
function layerRules(layers) {
  return layers.map(({ files, forbidden }) => ({
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: forbidden.map((name) => ({
            group: [`@sagaport/${name}`, `@sagaport/${name}/*`, `**/${name}/src/**`, `**/${name}/dist/**`],
            message: `${files[0].split('/')[0]} must not import ${name}: see docs/architecture.md (dependencies point one way).`,
          })),
        },
      ],
    },
  }));
}

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', '**/coverage/**', 'db/migrations/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'error',
      // Handlers implement Promise-returning interfaces; an async body without await is fine there.
      '@typescript-eslint/require-await': 'off',
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use a const object and a derived union instead of enum.' },
      ],
    },
  },
  // Dependencies point one way: apps (orchestrator, workers) use runtime, which uses rabbitmq and db;
  // an app never imports another app, and the libraries know nothing of their callers. The
  // orchestrator mounts admin-api, which reaches the saga engine only through the interfaces it
  // declares (OperatorActions, SagaCatalog), never by importing the orchestrator.
  ...layerRules([
    { files: ['workers/**'], forbidden: ['orchestrator', 'admin-api', 'admin-ui', 'e2e'] },
    { files: ['orchestrator/**'], forbidden: ['workers', 'admin-ui', 'e2e'] },
    { files: ['admin-api/**'], forbidden: ['orchestrator', 'workers', 'admin-ui', 'e2e'] },
    { files: ['runtime/**'], forbidden: ['orchestrator', 'admin-api', 'workers', 'admin-ui', 'e2e'] },
    {
      files: ['rabbitmq/**'],
      forbidden: ['db', 'runtime', 'orchestrator', 'admin-api', 'workers', 'admin-ui', 'e2e'],
    },
    {
      files: ['db/**'],
      forbidden: ['rabbitmq', 'runtime', 'orchestrator', 'admin-api', 'workers', 'admin-ui', 'e2e'],
    },
    {
      files: ['admin-ui/**'],
      forbidden: ['db', 'rabbitmq', 'runtime', 'orchestrator', 'admin-api', 'workers', 'e2e'],
    },
  ]),
  {
    files: ['**/*.js', '**/*.config.ts', '**/vitest.shared.ts'],
    ...tseslint.configs.disableTypeChecked,
  },
);
