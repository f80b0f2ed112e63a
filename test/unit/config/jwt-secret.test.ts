import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JwtTokenVerifier, jwtSettingsFrom } from '../../../src/adapters/http/auth';
import { ConfigError, jwtSecret, loadConfig } from '../../../src/config';
import { loadEnvFile } from '../../../src/config/envFile';

/**
 * AUTH_JWT_SECRET never comes from the source: setup generates one into the git-ignored .env, the
 * entrypoint and the token script read it, and without one the service refuses to start.
 */

const ROOT = join(__dirname, '..', '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const SECRET_LINE = /^AUTH_JWT_SECRET=([0-9a-f]{64})$/m;

/** Only what a shell hands down: none of this process's own AUTH_ / service variables. */
const shellEnv = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  OTEL_SDK_DISABLED: 'true',
  ...extra,
});

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  return spawnSync(command, args, { cwd, encoding: 'utf8', env: shellEnv(env), timeout: 60_000 });
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'inventory-secret-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('configuration', () => {
  it('has no default secret: jwtSecret refuses with a ConfigError that says how to get one', () => {
    const config = loadConfig({});
    expect(config.AUTH_JWT_SECRET).toBeUndefined();
    expect(() => jwtSecret(config)).toThrow(ConfigError);
    expect(() => jwtSecret(config)).toThrow(/AUTH_JWT_SECRET: required.*npm run setup/);
    expect(() => jwtSettingsFrom(config)).toThrow(ConfigError);
    // Production changes nothing: there never was a fallback to fall back to.
    expect(() => jwtSecret(loadConfig({ NODE_ENV: 'development' }))).toThrow(ConfigError);
  });

  it.each([
    ['31 ASCII bytes', 'x'.repeat(31), false],
    ['an empty string', '', false],
    ['32 ASCII bytes', 'x'.repeat(32), true],
    // 16 characters, 32 bytes in UTF-8: the limit is on the key's bytes.
    ['16 two-byte characters', 'é'.repeat(16), true],
    ['20 one-byte characters', 'abcdefghijklmnopqrst', false],
  ])('measures the secret in bytes: %s → valid %s', (_what, secret, valid) => {
    const load = () => loadConfig({ AUTH_JWT_SECRET: secret });
    if (valid) expect(jwtSecret(load())).toBe(secret);
    else expect(load).toThrow(/AUTH_JWT_SECRET: must be at least 32 bytes/);
  });

  it('no source file, script or compose file carries a secret constant or fallback', () => {
    const files = (sub: string): string[] =>
      readdirSync(join(ROOT, sub), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && /\.(ts|sh|ya?ml)$/.test(e.name) && !e.parentPath.includes('generated'))
        .map((e) => join(e.parentPath, e.name));
    for (const file of [...files('src'), ...files('scripts'), join(ROOT, 'tracing.ts')]) {
      expect([file, readFileSync(file, 'utf8')]).not.toEqual([file, expect.stringMatching(/DEV_JWT_SECRET/)]);
    }
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    const interpolations = [...compose.matchAll(/\$\{(\w*SECRET\w*)([^}]*)\}/g)];
    expect(interpolations.map((m) => m[1])).toContain('AUTH_JWT_SECRET');
    // `${VAR:?message}` fails when unset; `${VAR:-default}` / `${VAR-default}` would be a fallback.
    for (const [, , modifier] of interpolations) expect(modifier).toMatch(/^:\?/);
  });
});

describe('the .env file', () => {
  it('loadEnvFile sets what the environment lacks and never overrides it; a missing file is fine', () => {
    writeFileSync(join(dir, '.env'), '# comment\nAUTH_JWT_SECRET=from-file\nLOG_LEVEL="debug"\n');
    const env: NodeJS.ProcessEnv = { LOG_LEVEL: 'warn' };
    expect(loadEnvFile(join(dir, '.env'), env)).toEqual(['AUTH_JWT_SECRET']);
    expect(env).toEqual({ LOG_LEVEL: 'warn', AUTH_JWT_SECRET: 'from-file' });
    expect(loadEnvFile(join(dir, 'nope.env'), env)).toEqual([]);
  });

  it('setup writes a random 32-byte secret, private to the owner, keeps it on re-runs and keeps other lines', () => {
    const envFile = join(dir, '.env');
    writeFileSync(envFile, 'LOG_LEVEL=debug'); // no trailing newline
    const first = run('bash', [join(ROOT, 'scripts', 'jwt-secret.sh')], dir, { ENV_FILE: envFile });
    expect(first.status).toBe(0);
    const written = readFileSync(envFile, 'utf8');
    const secret = SECRET_LINE.exec(written)?.[1];
    expect(secret).toHaveLength(64);
    expect(written).toMatch(/^LOG_LEVEL=debug\n/);

    expect(run('bash', [join(ROOT, 'scripts', 'jwt-secret.sh')], dir, { ENV_FILE: envFile }).status).toBe(0);
    expect(readFileSync(envFile, 'utf8')).toBe(written);

    const other = join(dir, 'other.env');
    run('bash', [join(ROOT, 'scripts', 'jwt-secret.sh')], dir, { ENV_FILE: other });
    expect(SECRET_LINE.exec(readFileSync(other, 'utf8'))?.[1]).not.toBe(secret);
    expect(statSync(other).mode & 0o077).toBe(0);
  });

  it('.env is ignored by git and by the Docker build context', () => {
    const ignored = spawnSync('git', ['check-ignore', '-q', '.env'], { cwd: ROOT });
    expect(ignored.status).toBe(0);
    expect(readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n')).toContain('.env');
  });
});

describe('npm run token and npm start read the same .env', () => {
  it('npm run token signs with the secret setup wrote, which the service verifies', async () => {
    const envFile = join(dir, '.env');
    run('bash', [join(ROOT, 'scripts', 'jwt-secret.sh')], dir, { ENV_FILE: envFile });
    const token = run(TSX, [join(ROOT, 'scripts', 'token.ts'), '--scope', 'inventory:read'], dir);
    expect(token.stderr).toBe('');
    expect(token.status).toBe(0);
    // What the service does at startup: the file's secret, unless the environment sets one.
    const env: NodeJS.ProcessEnv = {};
    loadEnvFile(envFile, env);
    const verifier = new JwtTokenVerifier(jwtSettingsFrom(loadConfig(env)));
    await expect(verifier.verify(token.stdout.trim())).resolves.toMatchObject({ subject: 'cli' });
  }, 60_000);

  it('npm run token without any secret fails naming AUTH_JWT_SECRET and npm run setup', () => {
    const token = run(TSX, [join(ROOT, 'scripts', 'token.ts'), '--scope', 'inventory:read'], dir);
    expect(token.status).toBe(1);
    expect(token.stdout).toBe('');
    expect(token.stderr).toMatch(/AUTH_JWT_SECRET: required.*npm run setup/);
  }, 60_000);

  it('the service refuses to start without a secret, before connecting to anything', () => {
    const service = run(TSX, [join(ROOT, 'src', 'main', 'index.ts')], dir, {
      // Unreachable on purpose: a refusal must not depend on them.
      DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none',
      AMQP_URL: 'amqp://127.0.0.1:1',
    });
    expect(service.status).toBe(2);
    expect(service.stderr).toMatch(/Invalid configuration:\n\s+- AUTH_JWT_SECRET: required/);
  }, 60_000);

  it('the service reads .env: a short secret there is refused as such', () => {
    writeFileSync(join(dir, '.env'), `AUTH_JWT_SECRET=${randomBytes(8).toString('hex')}\n`);
    const service = run(TSX, [join(ROOT, 'src', 'main', 'index.ts')], dir, {
      DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none',
    });
    expect(service.status).toBe(2);
    expect(service.stderr).toMatch(/AUTH_JWT_SECRET: must be at least 32 bytes/);
  }, 60_000);
});
