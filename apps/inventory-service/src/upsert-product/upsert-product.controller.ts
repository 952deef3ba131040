import { Body, Controller, HttpStatus, Param, Put, Res } from '@nestjs/common';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import {
  CurrentPrincipal,
  Principal,
  ProblemException,
  requireAdmin,
  ValidationProblem,
} from '@orderflow/service-defaults';
import { ProductEntity } from '../entities/product.entity';
import { ProductView, SKU_PATTERN, toProductView } from '../browse-catalog/product.view';
import { parseProductBody } from './product-body';

/** Serializes catalog writes that could introduce a second currency. */
const CATALOG_CURRENCY_LOCK = 727_101;

/**
 * PUT /products/{sku} (admin): create or replace a product; `available` sets the free stock.
 * The catalog has a single currency so that every order can be priced in one; a product in
 * another currency is refused with 409 while other products exist.
 */
@Controller('products')
export class UpsertProductController {
  constructor(private readonly dataSource: DataSource) {}

  @Put(':sku')
  async upsert(
    @CurrentPrincipal() principal: Principal,
    @Param('sku') sku: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ProductView> {
    requireAdmin(principal);
    if (!SKU_PATTERN.test(sku))
      throw new ValidationProblem([{ field: 'sku', message: 'must be 1-64 characters [A-Za-z0-9._-]' }]);
    const parsed = parseProductBody(body);
    if (!parsed.ok) throw new ValidationProblem(parsed.errors);
    const input = parsed.value;

    const { product, created } = await this.dataSource.transaction(async (manager) => {
      await manager.query('select pg_advisory_xact_lock($1)', [CATALOG_CURRENCY_LOCK]);
      const others: Array<{ currency: string }> = await manager.query(
        'select distinct currency from products where sku <> $1 and currency <> $2 limit 1',
        [sku, input.currency],
      );
      if (others.length > 0) {
        throw new ProblemException(
          HttpStatus.CONFLICT,
          'urn:orderflow:problem:currency-mismatch',
          'Currency differs from the catalog',
          `The catalog is priced in ${others[0]!.currency}; ${input.currency} cannot be added`,
        );
      }
      const [row]: Array<{ inserted: boolean }> = await manager.query(
        `insert into products (sku, name, price_cents, currency, available) values ($1, $2, $3, $4, $5)
         on conflict (sku) do update set name = excluded.name, price_cents = excluded.price_cents,
           currency = excluded.currency, available = excluded.available, updated_at = now()
         returning (xmax = 0) as inserted`,
        [sku, input.name, input.priceCents, input.currency, input.available],
      );
      return { created: row!.inserted, product: await manager.findOneByOrFail(ProductEntity, { sku }) };
    });
    res.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    if (created) res.location(`/products/${sku}`);
    return toProductView(product);
  }
}
