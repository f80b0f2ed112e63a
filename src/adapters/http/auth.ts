import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';

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

const ALGORITHM = 'HS256';
/** Tokens far beyond any real JWT are rejected before any crypto. */
const MAX_TOKEN_LENGTH = 8192;

/**
 * HS256 JWTs: issuer and audience must match the configuration, `exp` is required, and the
 * `scope` claim holds space-separated scopes (RFC 8693 style).
 */
export class JwtTokenVerifier implements TokenVerifier {
  private readonly key: Uint8Array;

  constructor(
    private readonly settings: JwtSettings,
    private readonly clockToleranceSeconds = 5,
  ) {
    this.key = new TextEncoder().encode(settings.secret);
  }

  async verify(token: string): Promise<Principal> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new InvalidTokenError('malformed token');
    }
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ['exp'],
        clockTolerance: this.clockToleranceSeconds,
      });
      const scope = typeof payload.scope === 'string' ? payload.scope : '';
      return {
        subject: typeof payload.sub === 'string' ? payload.sub : 'anonymous',
        scopes: new Set(scope.split(' ').filter(Boolean)),
      };
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

export function jwtSettingsFrom(config: {
  AUTH_JWT_SECRET: string;
  AUTH_JWT_ISSUER: string;
  AUTH_JWT_AUDIENCE: string;
}): JwtSettings {
  return {
    secret: config.AUTH_JWT_SECRET,
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
