import { Controller, Get, HttpStatus, Param, Query } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { MoreThan, Repository } from 'typeorm';
import { ProblemException, Public } from '@orderflow/service-defaults';
import { ProductEntity } from '../entities/product.entity';
import { decodeCursor, encodeCursor, parseLimit } from '../http/list-query';
import { ProductView, SKU_PATTERN, toProductView } from './product.view';

/** The public catalog with live stock, ordered by SKU (keyset pagination). */
@Public()
@Controller('products')
export class CatalogController {
  constructor(@InjectRepository(ProductEntity) private readonly products: Repository<ProductEntity>) {}

  @Get()
  async list(@Query('limit') rawLimit: unknown, @Query('cursor') rawCursor: unknown) {
    const limit = parseLimit(rawLimit);
    const after = decodeCursor(rawCursor, (key) => SKU_PATTERN.test(key));
    // products.sku has the "C" collation: byte order, the same whatever the database locale.
    const rows = await this.products.find({
      where: after === undefined ? {} : { sku: MoreThan(after) },
      order: { sku: 'ASC' },
      take: limit + 1,
    });
    const page = rows.slice(0, limit);
    return {
      items: page.map(toProductView),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.sku) : null,
    };
  }

  @Get(':sku')
  async get(@Param('sku') sku: string): Promise<ProductView> {
    const product = SKU_PATTERN.test(sku) ? await this.products.findOneBy({ sku }) : null;
    if (!product)
      throw new ProblemException(
        HttpStatus.NOT_FOUND,
        'urn:orderflow:problem:not-found',
        'Not Found',
        `No product ${sku}`,
      );
    return toProductView(product);
  }
}
