import type { ReservationReader } from '../../application/dependencies';
import type { OrderId } from '../../domain/OrderId';
import type { Reservation } from '../../domain/Reservation';
import { withinTimeout, type StatementTimeoutOptions } from './statementTimeout';
import type { PrismaClient } from './generated/client';
import { ReservationMapper } from './mappers/ReservationMapper';

/** The queries' plain read of a reservation (no lock); commands read and write through PgUnitOfWork. */
export class PrismaReservationRepository implements ReservationReader {
  constructor(
    private readonly db: PrismaClient,
    private readonly options: StatementTimeoutOptions = {},
  ) {}

  async findByOrderId(orderId: OrderId): Promise<Reservation | null> {
    const row = await withinTimeout(
      () =>
        this.db.reservation.findUnique({
          where: { orderId: orderId.value },
          include: { lines: { orderBy: { sku: 'asc' } } },
        }),
      this.options.timeoutMs,
    );
    return row ? ReservationMapper.toDomain(row, row.lines) : null;
  }
}
