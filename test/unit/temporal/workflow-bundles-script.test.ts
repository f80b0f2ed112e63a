import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedWorkflowBundle, workflowBundleKey } from '../../../src/adapters/temporal/bundleCache';

const ROOT = join(__dirname, '..', '..', '..');

jest.setTimeout(120_000);

/**
 * The Dockerfile's prebuild step (scripts/workflow-bundles.ts): it writes exactly the bundles that a
 * worker started later from the same sources looks up, so the image's first start webpacks nothing.
 */
describe('scripts/workflow-bundles.ts', () => {
  let dir: string;
  beforeAll(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'workflow-bundles-')), 'cache');
  });
  afterAll(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  it('builds the plain and the traced bundle under the keys a later process reads', async () => {
    const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/workflow-bundles.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        WORKFLOW_BUNDLE_CACHE_DIR: dir,
        LOG_LEVEL: 'warn',
      },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const expected = ['plain', 'traced'].map(
      (variant) => `workflows-${variant}-${workflowBundleKey(variant)}.js`,
    );
    expect(readdirSync(dir).sort()).toEqual(expected);

    // What a worker's start then gets: the file, not a build.
    const build = jest.fn(() => Promise.resolve({ code: 'rebuilt' }));
    for (const [i, variant] of ['plain', 'traced'].entries()) {
      const bundle = await cachedWorkflowBundle({ dir, variant, build });
      expect(bundle.code).toBe(readFileSync(join(dir, expected[i]!), 'utf8'));
      expect(bundle.code).toContain('reservationWorkflow');
    }
    expect(build).not.toHaveBeenCalled();
  });
});
