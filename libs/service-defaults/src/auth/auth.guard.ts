import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { SERVICE_CONFIG } from '../tokens';
import type { CommonConfig } from '../config/service-config';
import { bearerToken, Principal, verifyToken } from './jwt';
import { IS_PUBLIC } from './public.decorator';

export type AuthenticatedRequest = Request & { principal: Principal };

/** Global guard: every HTTP route needs a valid bearer token unless marked @Public(). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(SERVICE_CONFIG) private readonly config: CommonConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new UnauthorizedException('A bearer token is required');
    const check = verifyToken(token, this.config.JWT_SECRET);
    if (!check.ok) throw new UnauthorizedException('The bearer token is invalid or expired');
    req.principal = check.principal;
    return true;
  }
}
