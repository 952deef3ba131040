import { createSecretKey, KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

export interface Principal {
  customerId: string;
  isAdmin: boolean;
}

export type TokenCheck = { ok: true; principal: Principal } | { ok: false; reason: string };

/**
 * HS256 only: `alg: none`, RS/HS confusion and every other algorithm are refused by pinning the
 * algorithm list. `exp` is enforced when present; `sub` must name the customer.
 */
export function verifyToken(token: string, secret: string): TokenCheck {
  let claims: string | jwt.JwtPayload;
  try {
    claims = jwt.verify(token, secretKey(secret), { algorithms: ['HS256'] });
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : 'invalid token' };
  }
  if (
    typeof claims !== 'object' ||
    typeof claims.sub !== 'string' ||
    claims.sub.length === 0 ||
    claims.sub.length > 128
  ) {
    return { ok: false, reason: 'token has no valid sub claim' };
  }
  const roles: unknown = claims['roles'];
  return {
    ok: true,
    principal: { customerId: claims.sub, isAdmin: Array.isArray(roles) && roles.includes('admin') },
  };
}

/**
 * The secret as a key object, made once: given a string, jsonwebtoken first tries to parse it as a
 * PEM public key and fails (an exception per request: 2 % of order-service's CPU under load).
 */
const secretKeys = new Map<string, KeyObject>();
function secretKey(secret: string): KeyObject {
  let key = secretKeys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret));
    secretKeys.set(secret, key);
  }
  return key;
}

export function signToken(
  customerId: string,
  secret: string,
  opts: { admin?: boolean; expiresInSeconds?: number } = {},
) {
  return jwt.sign({ roles: opts.admin ? ['admin'] : [] }, secret, {
    algorithm: 'HS256',
    subject: customerId,
    expiresIn: opts.expiresInSeconds ?? 12 * 3600,
  });
}

/** `Authorization: Bearer <token>` → the token, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer ([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*\.[A-Za-z0-9\-_]*)$/.exec(header ?? '');
  return match?.[1];
}
