import type { CommandDependencies } from './dependencies';
import type { ExpiredReservationsPort } from './ports';
import { ReleaseReservation } from './ReleaseReservation';

export interface ReleaseExpiredDependencies extends CommandDependencies {
  expiredReservations: ExpiredReservationsPort;
}

/**
 * The database's own expiry, behind the workflows' timers: reservations still RESERVED `graceMs` after
 * their expiresAt (no worker ran, Temporal was away) are released with reason `expired`, each in its own
 * transaction through the release use case, which re-checks under the order's lock (extended, or a
 * decision pending: left alone). The workflow's timer later finds them done. Several sweepers may run at
 * once: the order lock makes the second one a no-op.
 */
export class ReleaseExpiredReservations {
  private readonly release: ReleaseReservation;

  constructor(private readonly deps: ReleaseExpiredDependencies) {
    this.release = new ReleaseReservation(deps);
  }

  /** One pass of at most `limit` reservations; returns how many it released. */
  async execute({ graceMs, limit }: { graceMs: number; limit: number }): Promise<number> {
    const before = new Date(this.deps.clock.now().getTime() - graceMs);
    const orderIds = await this.deps.expiredReservations.listExpired(before, limit);
    let released = 0;
    for (const orderId of orderIds) {
      const outcome = await this.release.execute({ orderId, reason: 'expired' }, { onlyIfDue: true });
      if (outcome.kind === 'released' && outcome.changed) released += 1;
    }
    return released;
  }
}
