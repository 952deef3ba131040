import { createParamDecorator, ExecutionContext, ForbiddenException } from '@nestjs/common';
import type { AuthenticatedRequest } from './auth.guard';

/** The authenticated caller of this request. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext) => {
  return ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
});

/** Throws 403 unless the caller is an operator. */
export function requireAdmin(principal: { isAdmin: boolean }): void {
  if (!principal.isAdmin) throw new ForbiddenException('This operation needs the admin role');
}
