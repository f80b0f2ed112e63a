import { createHash } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { jwtSecret } from '../../config';

export const SCOPES = ['inventory:read', 'inventory:reserve', 'inventory:admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface Principal {
  subject: string;
  scopes: ReadonlySet<string>;
}

export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

/** Turns a bearer token into a principal, or throws InvalidTokenError. */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

export interface JwtSettings {
  secret: string;
  issuer: string;
  audience: string;
}

export interface VerifiedTokenCacheOptions {
  /** Verified tokens remembered until they expire; 0 turns the cache off. Default 10,000. */
  maxEntries?: number;
  /** Milliseconds since the epoch (tests pass a fake clock). */
  now?: () => number;
}

const ALGORITHM = 'HS256';
/** Tokens far beyond any real JWT are rejected before any crypto. */
const MAX_TOKEN_LENGTH = 8192;

/**
 * HS256 JWTs: issuer and audience must match the configuration, `exp` is required, and the
 * `scope` claim holds space-separated scopes (RFC 8693 style).
 *
 * A caller sends the same token on every request until it expires, so a verified token's principal is
 * remembered, keyed by the token's SHA-256 (no bearer credential kept in memory), until its `exp`:
 * never longer than verifying it again would accept it. Rejections are not remembered. The oldest
 * entry makes room when the cache is full.
 */
export class JwtTokenVerifier implements TokenVerifier {
  private readonly key: Uint8Array;
  private readonly verified = new Map<string, { principal: Principal; expiresAtMs: number }>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly settings: JwtSettings,
    private readonly clockToleranceSeconds = 5,
    cache: VerifiedTokenCacheOptions = {},
  ) {
    this.key = new TextEncoder().encode(settings.secret);
    this.maxEntries = cache.maxEntries ?? 10_000;
    this.now = cache.now ?? Date.now;
  }

  async verify(token: string): Promise<Principal> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new InvalidTokenError('malformed token');
    }
    if (this.maxEntries === 0) return (await this.verifyJwt(token)).principal;
    const digest = createHash('sha256').update(token).digest('base64');
    const hit = this.verified.get(digest);
    if (hit) {
      if (this.now() < hit.expiresAtMs) return hit.principal;
      this.verified.delete(digest);
    }
    const { principal, expiresAtMs } = await this.verifyJwt(token);
    if (this.now() < expiresAtMs) {
      if (this.verified.size >= this.maxEntries) {
        this.verified.delete(this.verified.keys().next().value!);
      }
      this.verified.set(digest, { principal, expiresAtMs });
    }
    return principal;
  }

  private async verifyJwt(token: string): Promise<{ principal: Principal; expiresAtMs: number }> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ['exp'],
        clockTolerance: this.clockToleranceSeconds,
      });
      const scope = typeof payload.scope === 'string' ? payload.scope : '';
      const principal: Principal = Object.freeze({
        subject: typeof payload.sub === 'string' ? payload.sub : 'anonymous',
        scopes: new Set(scope.split(' ').filter(Boolean)),
      });
      // requiredClaims made jose check that exp is a number.
      return { principal, expiresAtMs: (payload.exp as number) * 1000 };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new InvalidTokenError('token expired');
      if (err instanceof joseErrors.JWTClaimValidationFailed) {
        throw new InvalidTokenError(`claim ${err.claim} rejected: ${err.reason}`);
      }
      throw new InvalidTokenError('invalid token');
    }
  }
}

export interface MintOptions {
  scopes: readonly string[];
  ttlSeconds?: number;
  subject?: string;
}

/** Issues a token that JwtTokenVerifier with the same settings accepts (`npm run token`). */
export async function mintToken(settings: JwtSettings, options: MintOptions): Promise<string> {
  const ttl = options.ttlSeconds ?? 3600;
  return new SignJWT({ scope: options.scopes.join(' ') })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setSubject(options.subject ?? 'cli')
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
    .sign(new TextEncoder().encode(settings.secret));
}

/** Throws a ConfigError when no AUTH_JWT_SECRET is configured. */
export function jwtSettingsFrom(config: {
  AUTH_JWT_SECRET?: string;
  AUTH_JWT_ISSUER: string;
  AUTH_JWT_AUDIENCE: string;
}): JwtSettings {
  return {
    secret: jwtSecret(config),
    issuer: config.AUTH_JWT_ISSUER,
    audience: config.AUTH_JWT_AUDIENCE,
  };
}

/** Parses `Authorization: Bearer <token>`; undefined when absent or not a bearer credential. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)[ ]*$/i.exec(header);
  return match?.[1];
}
