import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'orderflow:public';

/** Marks a route that needs no bearer token (health, metrics, the public catalog). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
