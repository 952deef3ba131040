import type { Socket } from 'socket.io';
import { bearerToken, Principal, verifyToken } from '@orderflow/service-defaults';

export const UNAUTHORIZED = 'unauthorized';

export interface SocketData {
  principal: Principal;
}

/**
 * Namespace middleware: runs on every connect (recovered connections included), before Nest's
 * connection handler. The client sees a refused token as `connect_error` with message
 * `unauthorized`, whatever the reason (no detail for probing).
 */
export function socketAuthMiddleware(secret: string) {
  return (socket: Socket, next: (error?: Error) => void) => {
    const token = tokenOf(socket);
    const check = token ? verifyToken(token, secret) : undefined;
    if (!check?.ok) return next(new Error(UNAUTHORIZED));
    (socket.data as SocketData).principal = check.principal;
    next();
  };
}

function tokenOf(socket: Socket): string | undefined {
  const auth: unknown = socket.handshake.auth;
  const fromAuth =
    typeof auth === 'object' && auth !== null ? (auth as Record<string, unknown>).token : undefined;
  if (typeof fromAuth === 'string' && fromAuth.length > 0 && fromAuth.length <= 4096) return fromAuth;
  return bearerToken(socket.handshake.headers.authorization);
}
