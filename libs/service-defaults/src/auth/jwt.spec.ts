import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { DEV_JWT_SECRET } from '../config/service-config';
import { bearerToken, signToken, verifyToken } from './jwt';

const secret = 'a'.repeat(40);
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('bearer tokens', () => {
  it('accepts an HS256 token and reads customer and admin role', () => {
    expect(verifyToken(signToken('c-1', secret, { admin: true }), secret)).toEqual({
      ok: true,
      principal: { customerId: 'c-1', isAdmin: true },
    });
    expect(verifyToken(signToken('c-2', secret), secret)).toMatchObject({
      ok: true,
      principal: { isAdmin: false },
    });
  });

  it.each([
    ['wrongly signed', () => signToken('c-1', 'b'.repeat(40))],
    [
      'expired',
      () => jwt.sign({ sub: 'c-1', exp: Math.floor(Date.now() / 1000) - 10 }, secret, { algorithm: 'HS256' }),
    ],
    ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'c-1' })}.`],
    ['HS512', () => jwt.sign({ sub: 'c-1' }, secret, { algorithm: 'HS512' })],
    ['without sub', () => jwt.sign({ roles: [] }, secret, { algorithm: 'HS256' })],
    [
      'hand-made with a forged header',
      () => {
        const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'c-1', roles: ['admin'] })}`;
        return `${unsigned}.${createHmac('sha256', 'other-secret').update(unsigned).digest('base64url')}`;
      },
    ],
  ])('refuses a token that is %s', (_what, make) => {
    expect(verifyToken(make(), secret).ok).toBe(false);
  });

  it('extracts only a well-formed bearer token', () => {
    expect(bearerToken('Bearer aaa.bbb.ccc')).toBe('aaa.bbb.ccc');
    expect(bearerToken('bearer aaa.bbb.ccc')).toBeUndefined();
    expect(bearerToken('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('npm run token signs with the same development secret the services accept', () => {
    const root = join(__dirname, '../../../..');
    const env = { ...process.env };
    delete env.JWT_SECRET;
    const token = execFileSync(process.execPath, [join(root, 'tools/token.mjs'), 'c-9', '--admin'], {
      env,
      encoding: 'utf8',
    }).trim();
    expect(verifyToken(token, DEV_JWT_SECRET)).toEqual({
      ok: true,
      principal: { customerId: 'c-9', isAdmin: true },
    });
  });
});
