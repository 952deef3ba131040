#!/usr/bin/env node
// npm run token -- <customerId> [--admin] [--expires-in <seconds>]
// Prints an HS256 bearer token signed with JWT_SECRET (or the development default).
import jwt from 'jsonwebtoken';

const args = process.argv.slice(2);
const customerId = args.find((a) => !a.startsWith('--'));
if (!customerId) {
  console.error('usage: npm run token -- <customerId> [--admin] [--expires-in <seconds>]');
  process.exit(2);
}
const expiresAt = args.indexOf('--expires-in');
const expiresIn = expiresAt >= 0 ? Number(args[expiresAt + 1]) : 12 * 3600;
// Must match DEV_JWT_SECRET in libs/service-defaults (a unit test checks that it does).
const DEV_SECRET = 'orderflow-dev-secret-change-me-0123456789';
const secret = process.env.JWT_SECRET ?? DEV_SECRET;
const roles = args.includes('--admin') ? ['admin'] : [];
console.log(jwt.sign({ roles }, secret, { algorithm: 'HS256', subject: customerId, expiresIn }));
