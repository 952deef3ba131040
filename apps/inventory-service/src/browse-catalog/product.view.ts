import type { ProductEntity } from '../entities/product.entity';

export interface ProductView {
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
  available: number;
  reserved: number;
}

export const toProductView = (p: ProductEntity): ProductView => ({
  sku: p.sku,
  name: p.name,
  priceCents: p.priceCents,
  currency: p.currency,
  available: p.available,
  reserved: p.reserved,
});

export const SKU_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
