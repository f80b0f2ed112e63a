import { context, propagation, ROOT_CONTEXT, trace, type SpanContext } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { producerContext } from '../../../src/adapters/rabbitmq/OrderEventsBridge';

/** The bridge handles (and signals) each message in the trace its traceparent header carries. */
describe('OrderEventsBridge producerContext', () => {
  // Registers the async context manager and the W3C propagator, as the NodeSDK does in the service.
  const provider = new NodeTracerProvider();
  beforeAll(() => provider.register());
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  const carried = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
  const header = { traceparent: `00-${carried.traceId}-${carried.spanId}-01` };
  const message = (headers?: Record<string, unknown>) => ({ properties: { headers } }) as never;
  const span = (traceId: string): SpanContext => ({ traceId, spanId: 'a'.repeat(16), traceFlags: 1 });
  const within = <T>(active: SpanContext, fn: () => T) =>
    context.with(trace.setSpanContext(ROOT_CONTEXT, active), fn);

  it("continues the message's traceparent when nothing is active", () => {
    expect(trace.getSpanContext(producerContext(message(header)))).toMatchObject(carried);
  });

  it('prefers the carried trace over an unrelated active span', () => {
    const ctx = within(span('1'.repeat(32)), () => producerContext(message(header)));
    expect(trace.getSpanContext(ctx)).toMatchObject(carried);
  });

  it("keeps the amqplib instrumentation's consumer span when it is in the carried trace", () => {
    const ctx = within(span(carried.traceId), () => producerContext(message(header)));
    expect(trace.getSpanContext(ctx)).toMatchObject({ traceId: carried.traceId, spanId: 'a'.repeat(16) });
  });

  it('without a traceparent: the active context, or a new trace', () => {
    expect(trace.getSpanContext(producerContext(message()))).toBeUndefined();
    const ctx = within(span('2'.repeat(32)), () => producerContext(message({})));
    expect(trace.getSpanContext(ctx)?.traceId).toBe('2'.repeat(32));
  });
});
