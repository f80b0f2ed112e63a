import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedWorkflowBundle, workflowBundleKey } from '../../../src/adapters/temporal/bundleCache';

describe('workflow bundle file cache', () => {
  let root: string;
  let cache: string;
  let builds: number;
  const build = () => {
    builds++;
    return Promise.resolve({ code: `/* bundle ${builds} */` });
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'bundle-src-'));
    cache = join(mkdtempSync(join(tmpdir(), 'bundle-cache-')), 'nested');
    mkdirSync(join(root, 'workflows'));
    writeFileSync(join(root, 'workflows', 'index.ts'), 'export const a = 1;');
    builds = 0;
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(join(cache, '..'), { recursive: true, force: true });
  });

  it('builds once and serves later processes the same bundle from the directory', async () => {
    const first = await cachedWorkflowBundle({ dir: cache, variant: 'plain', build, root });
    const second = await cachedWorkflowBundle({ dir: cache, variant: 'plain', build, root });
    expect(builds).toBe(1);
    expect(second.code).toBe(first.code);
    expect(readdirSync(cache)).toEqual([`workflows-plain-${workflowBundleKey('plain', root)}.js`]);
  });

  it('builds again, and drops the old bundle, when a workflow source changes', async () => {
    await cachedWorkflowBundle({ dir: cache, variant: 'plain', build, root });
    writeFileSync(join(root, 'workflows', 'index.ts'), 'export const a = 2;');
    const rebuilt = await cachedWorkflowBundle({ dir: cache, variant: 'plain', build, root });
    expect(builds).toBe(2);
    expect(rebuilt.code).toBe('/* bundle 2 */');
    expect(readdirSync(cache)).toHaveLength(1);
  });

  it('keys a change in src/ or activities/ too, and keeps variants apart', () => {
    const before = workflowBundleKey('plain', root);
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'src', 'limits.ts'), 'export const MAX = 1;');
    const withSrc = workflowBundleKey('plain', root);
    mkdirSync(join(root, 'activities'));
    writeFileSync(join(root, 'activities', 'types.ts'), 'export {};');
    expect(
      new Set([before, withSrc, workflowBundleKey('plain', root), workflowBundleKey('traced', root)]).size,
    ).toBe(4);
  });

  it('ignores generated code', () => {
    const before = workflowBundleKey('plain', root);
    mkdirSync(join(root, 'src', 'generated'), { recursive: true });
    writeFileSync(join(root, 'src', 'generated', 'client.js'), 'module.exports = {};');
    expect(workflowBundleKey('plain', root)).toBe(before);
  });

  it('still returns the bundle when the directory cannot be written, and says so', async () => {
    const file = join(root, 'not-a-dir');
    writeFileSync(file, '');
    const errors: unknown[] = [];
    const bundle = await cachedWorkflowBundle({
      dir: join(file, 'cache'),
      variant: 'plain',
      build,
      root,
      onWriteError: (e) => errors.push(e),
    });
    expect(bundle.code).toBe('/* bundle 1 */');
    expect(errors).toHaveLength(1);
  });

  it('builds every time without a directory', async () => {
    await cachedWorkflowBundle({ dir: '', variant: 'plain', build, root });
    await cachedWorkflowBundle({ dir: undefined, variant: 'plain', build, root });
    expect(builds).toBe(2);
  });
});
