import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const DIR = join(__dirname, '..', '..', '..', 'observability', 'prometheus');

function promtool(...args: string[]) {
  const run = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8' });
  if (run.error)
    throw new Error(
      `promtool not runnable (npm run setup installs Debian's prometheus): ${run.error.message}`,
    );
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('Prometheus configuration (Debian promtool)', () => {
  it.each(['prometheus.yml', 'prometheus.compose.yml'])('check config %s passes', (file) => {
    const { status, output } = promtool('check', 'config', file);
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  });

  it('check rules passes for the alert rules', () => {
    const { status, output } = promtool('check', 'rules', 'alerts.yml');
    expect(output).toMatch(/SUCCESS: 7 rules found/);
    expect(status).toBe(0);
  });

  it('every alert fires on the series the service exports (promtool test rules)', () => {
    const { status, output } = promtool('test', 'rules', 'alerts.test.yml');
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  });
});
