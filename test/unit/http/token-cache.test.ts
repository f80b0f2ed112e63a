import { SignJWT } from 'jose';
import { InvalidTokenError, JwtTokenVerifier, mintToken } from '../../../src/adapters/http/auth';
import { JWT } from './fakes';

const mint = (subject: string, ttlSeconds = 60) =>
  mintToken(JWT, { scopes: ['inventory:read'], subject, ttlSeconds });

/** A cached principal is the very object the first verification returned; a fresh one is not. */
describe('JwtTokenVerifier: verified tokens are remembered until they expire', () => {
  let nowMs: number;
  const now = () => nowMs;
  beforeEach(() => {
    nowMs = Date.now();
  });

  it('answers a repeated token from the cache', async () => {
    const verifier = new JwtTokenVerifier(JWT, 5, { now });
    const token = await mint('a');
    const first = await verifier.verify(token);
    expect(await verifier.verify(token)).toBe(first);
    expect(first.subject).toBe('a');
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('verifies again once the token has expired by its own exp', async () => {
    const verifier = new JwtTokenVerifier(JWT, 5, { now });
    const token = await mint('a', 60);
    const first = await verifier.verify(token);
    nowMs += 59_000;
    expect(await verifier.verify(token)).toBe(first);
    nowMs += 2_000; // past exp: no longer served from the cache (jose, on the real clock, still accepts)
    const again = await verifier.verify(token);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });

  it('never caches a token accepted only within the clock tolerance', async () => {
    const verifier = new JwtTokenVerifier(JWT, 5, { now });
    const token = await new SignJWT({ scope: 'inventory:read' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(JWT.issuer)
      .setAudience(JWT.audience)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 2)
      .sign(new TextEncoder().encode(JWT.secret));
    const first = await verifier.verify(token);
    expect(await verifier.verify(token)).not.toBe(first);
  });

  it('keeps tokens apart and evicts the oldest when full', async () => {
    const verifier = new JwtTokenVerifier(JWT, 5, { now, maxEntries: 2 });
    const [a, b, c] = await Promise.all([mint('a'), mint('b'), mint('c')]);
    const pa = await verifier.verify(a);
    const pb = await verifier.verify(b);
    expect(pa.subject).toBe('a');
    expect(pb.subject).toBe('b');
    const pc = await verifier.verify(c); // evicts a
    expect(await verifier.verify(b)).toBe(pb);
    expect(await verifier.verify(c)).toBe(pc);
    expect(await verifier.verify(a)).not.toBe(pa);
  });

  it('does not remember rejections, and maxEntries 0 turns the cache off', async () => {
    const verifier = new JwtTokenVerifier(JWT, 5, { now });
    for (let i = 0; i < 2; i++) {
      await expect(verifier.verify('not.a.jwt')).rejects.toBeInstanceOf(InvalidTokenError);
    }
    const uncached = new JwtTokenVerifier(JWT, 5, { maxEntries: 0 });
    const token = await mint('a');
    expect(await uncached.verify(token)).not.toBe(await uncached.verify(token));
  });

  it('does not let a token signed with another secret hit the cache of a valid one', async () => {
    const verifier = new JwtTokenVerifier(JWT, 5, { now });
    const token = await mint('a');
    await verifier.verify(token);
    const [header, payload] = token.split('.');
    await expect(verifier.verify(`${header}.${payload}.${'A'.repeat(43)}`)).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
  });
});
