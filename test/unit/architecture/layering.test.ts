import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Proves the lint step's layering rules bite: probe files that break each rule are written into the
 * real tree, checked with the project's own dependency-cruiser config, and removed.
 */
const ROOT = join(__dirname, '..', '..', '..');
const PROBE = '__layering_probe__';

const probes: Record<string, string> = {
  [`src/domain/${PROBE}.ts`]: `import { Pool } from 'pg';\nexport const p = Pool;\n`,
  [`src/application/${PROBE}.ts`]: `import { SystemClock } from '../adapters/system/SystemClock';\nexport const c = SystemClock;\n`,
  [`workflows/${PROBE}.ts`]: `import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n`,
  [`workflows/${PROBE}_value.ts`]: `import * as acts from '../activities/${PROBE}';\nexport const a = acts;\n`,
  [`activities/${PROBE}.ts`]: `export const noop = 1;\n`,
  [`src/adapters/rabbitmq/${PROBE}.ts`]: `import { isWorkflowGone } from '../temporal/errors';\nexport const g = isWorkflowGone;\n`,
  [`src/adapters/shared/${PROBE}.ts`]: `import { PgSession } from '../postgres/PgSession';\nexport const s = PgSession;\n`,
};

function depcruise(files: string[]) {
  const bin = join(ROOT, 'node_modules', '.bin', 'depcruise');
  const run = spawnSync(bin, ['--config', '.dependency-cruiser.cjs', '--output-type', 'json', ...files], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return JSON.parse(run.stdout) as {
    summary: { violations: { rule: { name: string }; from: string; to: string }[] };
  };
}

describe('layering rules (.dependency-cruiser.cjs, run by npm run lint)', () => {
  beforeAll(() => {
    for (const [file, body] of Object.entries(probes)) {
      mkdirSync(join(ROOT, file, '..'), { recursive: true });
      writeFileSync(join(ROOT, file), body);
    }
  });

  afterAll(() => {
    for (const file of Object.keys(probes)) rmSync(join(ROOT, file), { force: true });
  });

  it('flags the domain importing a framework, the application importing an adapter, an adapter importing another, and workflows doing I/O or importing activity values', () => {
    const { violations } = depcruise(Object.keys(probes)).summary;
    const seen = violations.map((v) => `${v.rule.name} ${v.from}`);
    expect(seen).toEqual(
      expect.arrayContaining([
        `domain-is-pure src/domain/${PROBE}.ts`,
        `application-only-domain src/application/${PROBE}.ts`,
        `workflows-deterministic workflows/${PROBE}.ts`,
        `workflows-activity-types-only workflows/${PROBE}_value.ts`,
        `adapters-side-by-side src/adapters/rabbitmq/${PROBE}.ts`,
        `adapters-side-by-side src/adapters/shared/${PROBE}.ts`,
      ]),
    );
  });

  it('accepts an adapter importing its own folder, shared/ and the metrics registry', () => {
    const ok = `src/adapters/temporal/${PROBE}_ok.ts`;
    writeFileSync(
      join(ROOT, ok),
      `import { isWorkflowGone } from './errors';\nimport { sleep } from '../shared/backoff';\n` +
        `import type { ServiceMetrics } from '../observability/metrics';\n` +
        `export type M = ServiceMetrics;\nexport const x = [isWorkflowGone, sleep];\n`,
    );
    try {
      expect(depcruise([ok]).summary.violations).toEqual([]);
    } finally {
      rmSync(join(ROOT, ok), { force: true });
    }
  });

  it('accepts a workflow importing @temporalio/workflow and activity types only', () => {
    const ok = `workflows/${PROBE}_ok.ts`;
    writeFileSync(
      join(ROOT, ok),
      `import { sleep } from '@temporalio/workflow';\nimport type * as acts from '../activities/${PROBE}';\n` +
        `export type A = typeof acts;\nexport const s = sleep;\n`,
    );
    try {
      expect(depcruise([ok]).summary.violations).toEqual([]);
    } finally {
      rmSync(join(ROOT, ok), { force: true });
    }
  });

  it("lets workflows import the domain's dependency-free limits, and no other domain file", () => {
    const limits = `workflows/${PROBE}_limits.ts`;
    const domain = `workflows/${PROBE}_domain.ts`;
    writeFileSync(
      join(ROOT, limits),
      `import { QUANTITY_MAX } from '../src/domain/limits';\nexport const q = QUANTITY_MAX;\n`,
    );
    writeFileSync(join(ROOT, domain), `import { Sku } from '../src/domain/Sku';\nexport const s = Sku;\n`);
    try {
      const { violations } = depcruise([limits, domain]).summary;
      expect(violations.map((v) => `${v.rule.name} ${v.from} ${v.to}`)).toEqual([
        `workflows-deterministic ${domain} src/domain/Sku.ts`,
      ]);
    } finally {
      rmSync(join(ROOT, limits), { force: true });
      rmSync(join(ROOT, domain), { force: true });
    }
  });
});
