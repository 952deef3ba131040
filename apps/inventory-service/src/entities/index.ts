import { ProductEntity } from './product.entity';
import { ReservationLineEntity } from './reservation-line.entity';
import { ReservationEntity } from './reservation.entity';

export const INVENTORY_ENTITIES = [ProductEntity, ReservationEntity, ReservationLineEntity];
export { ProductEntity, ReservationEntity, ReservationLineEntity };
