import type * as contracts from './contracts';
import type { InventoryService } from './InventoryService';
import { isOutcomeUnknown, landedOutcome } from './landed';
import type { ReservationOrchestratorPort } from './ports';

const DEFAULT_OUTCOME_WAIT_MS = 2_000;
const READ_BACK_INTERVAL_MS = 100;

/** The reserve did not commit (or could not be read back in time): `transient`, so a 503. */
export class ReserveNotCommittedError extends Error {
  readonly transient = true;

  constructor(orderId: string, cause: unknown) {
    super(
      `the reserve for order ${orderId} lost its connection at COMMIT and did not show up in the database`,
      {
        cause,
      },
    );
    this.name = 'ReserveNotCommittedError';
  }
}

/** Runs `work` with the use cases of a scope of its own (one unit of work), disposed afterwards. */
export type WithInventory = <T>(work: (inventory: InventoryService) => Promise<T>) => Promise<T>;

/**
 * RESERVE_MODE=db (the default): the HTTP façade's reserve and release are each one Postgres
 * transaction, with no Temporal round trip on the request path. The transaction records what the
 * order's workflow must be told (start it, or a release that closed the reservation); the
 * dispatcher delivers it after commit, so a Temporal outage delays the workflow, never the caller.
 */
export class DirectReservationOrchestrator implements ReservationOrchestratorPort {
  constructor(
    private readonly deps: {
      withInventory: WithInventory;
      /** How long to look for a reserve whose COMMIT lost its answer (ms; its deadline when it has one). */
      outcomeWaitMs?: number;
      sleep?: (ms: number) => Promise<void>;
    },
  ) {}

  async reserve(command: contracts.ReserveCommand): Promise<contracts.ReserveOutcome> {
    try {
      return await this.deps.withInventory((inventory) =>
        inventory.reserve(command, { startWorkflow: true }),
      );
    } catch (error) {
      if (!isOutcomeUnknown(error)) throw error;
      return this.readBack(command, error);
    }
  }

  /**
   * The connection dropped after COMMIT went out: once Postgres answers again, the stored reservation
   * says whether it committed (the transaction of a lost session is either durable or gone). Until the
   * deadline; then 503 (transient), and a reserve that did land expires with its TTL.
   */
  private async readBack(
    command: contracts.ReserveCommand,
    cause: unknown,
  ): Promise<contracts.ReserveOutcome> {
    const sleep = this.deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const giveUpAt = command.deadline
      ? Date.parse(command.deadline)
      : Date.now() + (this.deps.outcomeWaitMs ?? DEFAULT_OUTCOME_WAIT_MS);
    for (;;) {
      let stored: contracts.ReservationView | null;
      try {
        stored = await this.deps.withInventory((inventory) => inventory.getReservation(command.orderId));
      } catch (error) {
        // Postgres not answering yet: read again until the deadline.
        if (Date.now() >= giveUpAt) throw new ReserveNotCommittedError(command.orderId, error);
        await sleep(READ_BACK_INTERVAL_MS);
        continue;
      }
      const landed = landedOutcome(command, stored);
      if (landed) return landed;
      throw new ReserveNotCommittedError(command.orderId, cause);
    }
  }

  release(command: contracts.ReleaseCommand): Promise<contracts.ReleaseOutcome> {
    return this.deps.withInventory((inventory) => inventory.release(command, { fromCaller: true }));
  }

  /** One transaction; it records the `extend` workflow request that re-arms the workflow's timer. */
  extend(command: contracts.ExtendCommand): Promise<contracts.ExtendOutcome> {
    return this.deps.withInventory((inventory) => inventory.extend(command));
  }
}
