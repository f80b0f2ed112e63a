/**
 * Layering rules of the house (DESIGN.md): the domain is pure, workflows stay deterministic, adapters
 * stand side by side.
 */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'src/domain imports nothing outside itself: no frameworks, no Node built-ins, no other layer.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: '^src/domain/' },
    },
    {
      name: 'application-only-domain',
      comment: 'Use cases depend on the domain and their own ports, never on adapters or frameworks.',
      severity: 'error',
      from: { path: '^src/application/' },
      to: { pathNot: '^src/(domain|application)/' },
    },
    {
      name: 'workflows-deterministic',
      comment:
        'workflows/ may import @temporalio/workflow, async-mutex (pure JS), its own shared definitions, ' +
        "activity types and the domain's dependency-free limits only.",
      severity: 'error',
      from: { path: '^workflows/' },
      to: {
        pathNot: [
          '^workflows/',
          '^node_modules/@temporalio/workflow/',
          '^node_modules/async-mutex/',
          '^activities/',
          '^src/domain/limits\\.ts$',
        ],
      },
    },
    {
      name: 'workflows-activity-types-only',
      comment: 'Activities are imported by type only (import type), never as values.',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { path: '^activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'adapters-side-by-side',
      comment:
        'An adapter folder imports no other adapter folder: only its own files, src/adapters/shared/ and the metrics registry.',
      severity: 'error',
      from: { path: '^src/adapters/([^/]+)/' },
      to: {
        path: '^src/adapters/',
        pathNot: ['^src/adapters/$1/', '^src/adapters/shared/', '^src/adapters/observability/metrics[.]ts$'],
      },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: ['src/adapters/postgres/generated'] },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
