import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { JwtTokenVerifier, jwtSettingsFrom } from '../../../src/adapters/http/auth';
import { loadConfig } from '../../../src/config';

const ROOT = join(__dirname, '..', '..', '..');

function runToken(args: string[], env: Record<string, string> = {}) {
  return spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/token.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
}

describe('npm run token', () => {
  const env = {
    AUTH_JWT_SECRET: 'token-script-test-secret-0123456789abcdef',
    AUTH_JWT_ISSUER: 'issuer-x',
    AUTH_JWT_AUDIENCE: 'audience-y',
  };

  it('prints a token that the service, started with the same configuration, accepts', async () => {
    const run = runToken(
      ['--scope', 'inventory:read', '--scope', 'inventory:reserve', '--ttl', '120', '--sub', 'orders-capi'],
      env,
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const token = run.stdout.trim();
    const verifier = new JwtTokenVerifier(jwtSettingsFrom(loadConfig(env)));
    const principal = await verifier.verify(token);
    expect(principal.subject).toBe('orders-capi');
    expect([...principal.scopes].sort()).toEqual(['inventory:read', 'inventory:reserve']);
    const { exp, iat } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(exp - iat).toBe(120);
    // ...and one started with another secret does not.
    await expect(
      new JwtTokenVerifier(jwtSettingsFrom(loadConfig({ ...env, AUTH_JWT_SECRET: 'x'.repeat(40) }))).verify(
        token,
      ),
    ).rejects.toThrow();
  }, 30_000);

  it.each([
    [[]],
    [['--scope', 'inventory:everything']],
    [['--scope', 'inventory:read', '--ttl', '0']],
    [['--nope']],
  ])(
    'refuses %j with usage and exit code 2',
    (args) => {
      const run = runToken(args, env);
      expect(run.status).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('--scope');
    },
    30_000,
  );
});
