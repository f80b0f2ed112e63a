import type * as contracts from './contracts';
import type { UnitOfWorkOptions } from '../domain/ports/UnitOfWorkPort';
import type { InventoryService } from './InventoryService';
import { isOutcomeUnknown, landedOutcome, OUTCOME_GRACE_MS, releasedOutcome } from './landed';
import type { ReservationOrchestratorPort } from './ports';

const DEFAULT_OUTCOME_WAIT_MS = 2_000;
const READ_BACK_INTERVAL_MS = 100;

/**
 * The reserve or release did not commit (or could not be read back in time): `transient`, so a 503.
 * Its name says which: ReserveNotCommittedError, ReleaseNotCommittedError.
 */
export class NotCommittedError extends Error {
  readonly transient = true;

  constructor(command: 'reserve' | 'release', orderId: string, cause: unknown) {
    super(
      `the ${command} for order ${orderId} lost its connection at COMMIT and did not show up in the database`,
      { cause },
    );
    this.name = command === 'reserve' ? 'ReserveNotCommittedError' : 'ReleaseNotCommittedError';
  }
}

/** Runs `work` with the use cases of a scope of its own (one unit of work), disposed afterwards. */
export type WithInventory = <T>(work: (inventory: InventoryService) => Promise<T>) => Promise<T>;

/**
 * RESERVE_MODE=db (the default): the HTTP façade's reserve and release are each one Postgres
 * transaction, with no Temporal round trip on the request path. The transaction records what the
 * order's workflow must be told (start it, or a release that closed the reservation); the
 * dispatcher delivers it after commit, so a Temporal outage delays the workflow, never the caller.
 *
 * A reserve carries a deadline (its own, or now + `deadlineMs`): a transaction still open then is
 * rolled back, so a database that stops answering costs the caller a 503 that means nothing was
 * reserved, at the deadline, instead of a wait for the pool's or the transaction's own limits. Only a
 * reserve whose COMMIT was already sent is read back, for at most OUTCOME_GRACE_MS more. A release
 * and an extension carry the same deadline (an unknown COMMIT there is an error, not read back).
 */
export class DirectReservationOrchestrator implements ReservationOrchestratorPort {
  constructor(
    private readonly deps: {
      withInventory: WithInventory;
      /** How long a reserve may take (REQUEST_DEADLINE_MS); without it, only a command's own deadline. */
      deadlineMs?: number;
      /** How long to look for a reserve whose COMMIT lost its answer, when it has no deadline (ms). */
      outcomeWaitMs?: number;
      sleep?: (ms: number) => Promise<void>;
      /** Epoch ms (the use cases' clock, in tests); the system clock by default. */
      now?: () => number;
    },
  ) {}

  async reserve(command: contracts.ReserveCommand): Promise<contracts.ReserveOutcome> {
    const bounded =
      command.deadline === undefined && this.deps.deadlineMs
        ? { ...command, deadline: new Date(this.now() + this.deps.deadlineMs).toISOString() }
        : command;
    try {
      return await this.deps.withInventory((inventory) =>
        inventory.reserve(bounded, { startWorkflow: true }),
      );
    } catch (error) {
      if (!isOutcomeUnknown(error)) throw error;
      const deadline = bounded.deadline ? new Date(bounded.deadline) : undefined;
      return this.readBack('reserve', bounded.orderId, deadline, error, (stored) =>
        landedOutcome(bounded, stored),
      );
    }
  }

  /**
   * The connection dropped after COMMIT went out: once Postgres answers again, the stored reservation
   * says whether it committed (the transaction of a lost session is either durable or gone), through
   * `decide` (undefined: it did not). Until the deadline plus OUTCOME_GRACE_MS; then 503 (transient),
   * and a reserve that did land expires with its TTL.
   */
  private async readBack<T>(
    command: 'reserve' | 'release',
    orderId: string,
    deadline: Date | undefined,
    cause: unknown,
    decide: (stored: contracts.ReservationView | null) => T | undefined,
  ): Promise<T> {
    const sleep = this.deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const giveUpAt = deadline
      ? deadline.getTime() + OUTCOME_GRACE_MS
      : this.now() + (this.deps.outcomeWaitMs ?? DEFAULT_OUTCOME_WAIT_MS);
    for (;;) {
      let stored: contracts.ReservationView | null;
      try {
        // Under the order's lock, so a COMMIT still in progress is waited for, not read past; and
        // bounded, so a database that does not answer ends the wait at giveUpAt.
        stored = await this.deps.withInventory((inventory) =>
          inventory.getSettledReservation(orderId, { deadline: new Date(giveUpAt) }),
        );
      } catch (error) {
        // Postgres not answering yet: read again until the deadline.
        if (this.now() >= giveUpAt) throw new NotCommittedError(command, orderId, error);
        await sleep(READ_BACK_INTERVAL_MS);
        continue;
      }
      const decided = decide(stored);
      if (decided !== undefined) return decided;
      throw new NotCommittedError(command, orderId, cause);
    }
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /**
   * The caller's deadline, or now + `deadlineMs`, for the release and the extension (the reserve's may
   * come with its command).
   */
  private deadline(given: UnitOfWorkOptions = {}): UnitOfWorkOptions {
    if (given.deadline) return { deadline: given.deadline };
    return this.deps.deadlineMs ? { deadline: new Date(this.now() + this.deps.deadlineMs) } : {};
  }

  /**
   * One transaction, bounded as the reserve is: a 503 at the deadline means nothing was released. A
   * release whose COMMIT lost its answer is read back as a reserve is: the line no longer reserved is
   * answered, one still held is a 503 (it did not commit).
   */
  async release(
    command: contracts.ReleaseCommand,
    given?: UnitOfWorkOptions,
  ): Promise<contracts.ReleaseOutcome> {
    const options = { fromCaller: true, ...this.deadline(given) };
    try {
      return await this.deps.withInventory((inventory) => inventory.release(command, options));
    } catch (error) {
      if (!isOutcomeUnknown(error)) throw error;
      return this.readBack('release', command.orderId, options.deadline, error, (stored) =>
        releasedOutcome(command, stored),
      );
    }
  }

  /** One transaction; it records the `extend` workflow request that re-arms the workflow's timer. */
  extend(command: contracts.ExtendCommand, given?: UnitOfWorkOptions): Promise<contracts.ExtendOutcome> {
    const options = this.deadline(given);
    return this.deps.withInventory((inventory) => inventory.extend(command, options));
  }
}
