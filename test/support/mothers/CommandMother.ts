import type { LineRequest, ReserveCommand } from '../../../src/application/contracts';
import { uniqueOrderId } from '../naming';

export const CommandMother = {
  reserve(lines: LineRequest[], overrides: Partial<ReserveCommand> = {}): ReserveCommand {
    return { orderId: uniqueOrderId(), lines, ...overrides };
  },
};
