import { Controller, Get, Query } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { CurrentPrincipal, parseOrderIdQuery, Principal } from '@orderflow/service-defaults';
import { PaymentEntity } from '../entities/payment.entity';

/**
 * GET /payments?orderId= → the order's payment (at most one) for its owner or an admin. Someone
 * else's order answers exactly like an unknown one: `{ items: [], nextCursor: null }`.
 */
@Controller('payments')
export class PaymentsController {
  constructor(@InjectRepository(PaymentEntity) private readonly payments: Repository<PaymentEntity>) {}

  @Get()
  async list(@CurrentPrincipal() principal: Principal, @Query('orderId') rawOrderId: unknown) {
    const orderId = parseOrderIdQuery(rawOrderId);
    const rows = await this.payments.find({
      where: principal.isAdmin ? { orderId } : { orderId, customerId: principal.customerId },
      order: { createdAt: 'ASC' },
    });
    return {
      items: rows.map((p) => ({
        paymentId: p.id,
        orderId: p.orderId,
        customerId: p.customerId,
        status: p.status,
        amountCents: p.amountCents,
        currency: p.currency,
        reason: p.declineCode,
        createdAt: p.createdAt.toISOString(),
      })),
      nextCursor: null,
    };
  }
}
