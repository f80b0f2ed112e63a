import { SignJWT, UnsecuredJWT } from 'jose';
import {
  InvalidTokenError,
  JwtTokenVerifier,
  mintToken,
  SCOPES,
  type Scope,
} from '../../../src/adapters/http/auth';
import { expectProblem, JWT, PROTECTED_ROUTES, testApp, token, type TestApp } from './fakes';

const key = (secret: string) => new TextEncoder().encode(secret);

function signed(
  claims: Record<string, unknown>,
  opts: { secret?: string; exp?: number | null; alg?: string } = {},
) {
  let jwt = new SignJWT({ scope: 'inventory:read inventory:reserve inventory:admin', ...claims })
    .setProtectedHeader({ alg: opts.alg ?? 'HS256' })
    .setIssuedAt();
  if (!('iss' in claims)) jwt = jwt.setIssuer(JWT.issuer);
  if (!('aud' in claims)) jwt = jwt.setAudience(JWT.audience);
  if (opts.exp !== null) jwt = jwt.setExpirationTime(opts.exp ?? Math.floor(Date.now() / 1000) + 60);
  return jwt.sign(key(opts.secret ?? JWT.secret));
}

describe('JwtTokenVerifier', () => {
  const verifier = new JwtTokenVerifier(JWT);

  it('accepts what mintToken issues, with its scopes and subject', async () => {
    const tok = await mintToken(JWT, {
      scopes: ['inventory:read', 'inventory:admin'],
      subject: 'orders-capi',
    });
    const principal = await verifier.verify(tok);
    expect(principal.subject).toBe('orders-capi');
    expect([...principal.scopes].sort()).toEqual(['inventory:admin', 'inventory:read']);
  });

  it.each([
    ['expired', () => signed({}, { exp: Math.floor(Date.now() / 1000) - 60 })],
    ['without exp', () => signed({}, { exp: null })],
    ['signed with another secret', () => signed({}, { secret: 'another-secret-another-secret-0123456789' })],
    ['for another audience', () => signed({ aud: 'someone-else' })],
    ['from another issuer', () => signed({ iss: 'someone-else' })],
    ['with alg HS512', () => signed({}, { alg: 'HS512' })],
    [
      'unsecured (alg none)',
      async () =>
        new UnsecuredJWT({ scope: 'inventory:admin' })
          .setIssuer(JWT.issuer)
          .setAudience(JWT.audience)
          .setExpirationTime('1h')
          .encode(),
    ],
    ['garbage', async () => 'not.a.jwt'],
    ['empty', async () => ''],
    ['huge', async () => 'a'.repeat(10_000)],
  ])('rejects a token %s', async (_name, make) => {
    await expect(verifier.verify(await make())).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('reads a missing scope claim as no scopes', async () => {
    const principal = await verifier.verify(await signed({ scope: undefined }));
    expect(principal.scopes.size).toBe(0);
  });
});

describe('bearer-token scopes on every protected route', () => {
  let t: TestApp;
  beforeEach(() => {
    t = testApp();
  });
  afterEach(() => t.app.close());

  const call = (
    route: (typeof PROTECTED_ROUTES)[number],
    headers: Record<string, string>,
    payload = route.payload,
  ) => t.app.inject({ method: route.method, url: route.url, headers, ...(payload ? { payload } : {}) });

  describe.each(PROTECTED_ROUTES)('$method $url ($scope)', (route) => {
    it('answers 401 with WWW-Authenticate: Bearer without a token', async () => {
      const res = await call(route, {});
      expectProblem(res, 401, 'unauthorized');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="inventory-service"/);
      expect(t.fake.calls).toEqual([]);
    });

    it.each([
      ['a Basic credential', 'Basic dXNlcjpwYXNz'],
      ['an empty bearer', 'Bearer '],
      ['a malformed bearer', 'Bearer not a token'],
      ['a garbage token', 'Bearer abc.def.ghi'],
    ])('answers 401 for %s', async (_name, authorization) => {
      const res = await call(route, { authorization });
      expectProblem(res, 401, 'unauthorized');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
    });

    it('answers 401 with error="invalid_token" for an expired token', async () => {
      const expired = await signed({}, { exp: Math.floor(Date.now() / 1000) - 3600 });
      const res = await call(route, { authorization: `Bearer ${expired}` });
      expectProblem(res, 401, 'unauthorized');
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    });

    it('checks the token before the body: 401 for an invalid body without a token', async () => {
      const res = await call(route, {}, route.payload ? { bogus: true } : undefined);
      expectProblem(res, 401, 'unauthorized');
    });

    it.each(SCOPES.filter((s) => s !== route.scope).map((s) => [s]))(
      'answers 403 insufficient_scope to a token with only %s',
      async (other) => {
        const res = await call(route, { authorization: `Bearer ${await token(other as Scope)}` });
        const body = expectProblem(res, 403, 'forbidden');
        expect(body.requiredScope).toBe(route.scope);
        expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
        expect(t.fake.calls).toEqual([]);
      },
    );

    it('answers 403 to a token with no scope at all', async () => {
      const res = await call(route, { authorization: `Bearer ${await signed({ scope: '' })}` });
      expectProblem(res, 403, 'forbidden');
    });

    it(`lets a token with ${route.scope} through`, async () => {
      const res = await call(route, { authorization: `bearer ${await token(route.scope)}` });
      expect([200, 201, 404]).toContain(res.statusCode);
    });
  });

  it.each(['/health/live', '/health/ready', '/metrics', '/openapi.json', '/docs'])(
    '%s needs no token',
    async (url) => {
      expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(200);
    },
  );
});
