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

  it('flags the domain importing a framework, the application importing an adapter, and workflows doing I/O or importing activity values', () => {
    const { violations } = depcruise(Object.keys(probes)).summary;
    const seen = violations.map((v) => `${v.rule.name} ${v.from}`);
    expect(seen).toEqual(
      expect.arrayContaining([
        `domain-is-pure src/domain/${PROBE}.ts`,
        `application-only-domain src/application/${PROBE}.ts`,
        `workflows-deterministic workflows/${PROBE}.ts`,
        `workflows-activity-types-only workflows/${PROBE}_value.ts`,
      ]),
    );
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
});
