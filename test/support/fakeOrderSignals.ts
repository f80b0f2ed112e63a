import type { OrderSignalPort, SignalDelivery } from '../../src/application/ports';

export interface SignalCall {
  op: 'confirm' | 'cancel';
  orderId: string;
  reason?: string;
  at: number;
}

type Scripted = SignalDelivery | Error;

/**
 * In-memory OrderSignalPort: records every call; answers 'signalled' unless a per-order script says
 * otherwise ('no-workflow', or an Error to throw), one scripted answer per call, the last one repeating.
 */
export class FakeOrderSignals implements OrderSignalPort {
  readonly calls: SignalCall[] = [];
  private readonly scripts = new Map<string, Scripted[]>();

  script(orderId: string, ...answers: Scripted[]): this {
    this.scripts.set(orderId, answers);
    return this;
  }

  callsFor(orderId: string): SignalCall[] {
    return this.calls.filter((c) => c.orderId === orderId);
  }

  confirm(orderId: string): Promise<SignalDelivery> {
    return this.answer({ op: 'confirm', orderId, at: Date.now() });
  }

  cancel(orderId: string, reason?: string): Promise<SignalDelivery> {
    return this.answer({ op: 'cancel', orderId, reason, at: Date.now() });
  }

  private async answer(call: SignalCall): Promise<SignalDelivery> {
    this.calls.push(call);
    const script = this.scripts.get(call.orderId);
    const next = script && script.length > 1 ? script.shift()! : script?.[0];
    if (next instanceof Error) throw next;
    return next ?? 'signalled';
  }
}

/** An error the bridge must not retry (adapters mark such failures with transient: false). */
export class PermanentSignalError extends Error {
  readonly transient = false;
}
