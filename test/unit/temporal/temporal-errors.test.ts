import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { mapTemporalError, ReservationOrchestrationError } from '../../../src/adapters/temporal/errors';
import { DomainError, ErrorCodes, ValidationError } from '../../../src/domain/errors';

/**
 * Issue 14 defect 3: concurrent first reserves of one new order got "update rejected because it
 * wasn't processed by worker" from Temporal, which was mapped as permanent (HTTP 500).
 */
describe('mapTemporalError', () => {
  it('maps an update the worker did not process as transient, however the server words it', () => {
    for (const error of [
      new WorkflowUpdateFailedError(
        'Workflow Update failed',
        ApplicationFailure.create({
          message:
            "Workflow Update was rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker.",
          nonRetryable: true,
        }),
      ),
      Object.assign(new Error('update rejected: not processed by worker'), { code: 9 }),
      new Error('outer', { cause: new Error('Update was not processed by the worker') }),
    ]) {
      const mapped = mapTemporalError(error, 'reserve for order o-1');
      expect(mapped).toBeInstanceOf(ReservationOrchestrationError);
      expect(mapped).toMatchObject({ transient: true });
    }
  });

  it("keeps a domain failure the domain's error, and a non-retryable unknown one permanent", () => {
    const domain = mapTemporalError(
      new WorkflowUpdateFailedError(
        'Workflow Update failed',
        ApplicationFailure.create({
          type: ErrorCodes.DEADLINE_EXCEEDED,
          message: 'too late',
          nonRetryable: true,
        }),
      ),
      'reserve',
    );
    expect(domain).toBeInstanceOf(DomainError);
    expect(domain).toMatchObject({ code: ErrorCodes.DEADLINE_EXCEEDED });
    const permanent = mapTemporalError(
      new WorkflowUpdateFailedError(
        'Workflow Update failed',
        ApplicationFailure.create({ type: 'Boom', message: 'broken', nonRetryable: true }),
      ),
      'reserve',
    );
    expect(permanent).toMatchObject({ transient: false });
  });

  it('brings every validation code back as a ValidationError, whichever aggregate raised it (as the HTTP mapper classifies it)', () => {
    for (const code of [
      ErrorCodes.INVALID_SKU,
      ErrorCodes.INVALID_DEADLINE,
      ErrorCodes.INVALID_RELEASE_REASON,
    ]) {
      const mapped = mapTemporalError(
        new WorkflowUpdateFailedError(
          'Workflow Update failed',
          ApplicationFailure.create({ type: code, message: 'bad input', nonRetryable: true }),
        ),
        'reserve',
      );
      expect(mapped).toBeInstanceOf(ValidationError);
      expect(mapped).toMatchObject({ code });
    }
    const business = mapTemporalError(
      new WorkflowUpdateFailedError(
        'Workflow Update failed',
        ApplicationFailure.create({
          type: ErrorCodes.ILLEGAL_TRANSITION,
          message: 'closed',
          nonRetryable: true,
        }),
      ),
      'reserve',
    );
    expect(business).not.toBeInstanceOf(ValidationError);
    expect(business).toMatchObject({ code: ErrorCodes.ILLEGAL_TRANSITION });
  });
});
