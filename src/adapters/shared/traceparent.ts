import { randomBytes } from 'node:crypto';
import { propagation } from '@opentelemetry/api';

/** W3C Trace Context version 00: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`. */
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

export function isTraceparent(value: unknown): value is string {
  return typeof value === 'string' && TRACEPARENT.test(value);
}

/**
 * A traceparent for a message no recorded span describes: random ids, flags 00 (not sampled, so a
 * consumer with a parent-based sampler does not record a trace whose parent nobody exported).
 */
export function newTraceparent(): string {
  for (;;) {
    const id = randomBytes(24).toString('hex');
    const candidate = `00-${id.slice(0, 32)}-${id.slice(32)}-00`;
    if (isTraceparent(candidate)) return candidate;
  }
}

/**
 * Whether a W3C propagator is installed (tracing on). Without one `propagation.inject` writes nothing,
 * so the contract's "traceparent on every event" is ours to keep.
 */
export function propagatesTraceContext(): boolean {
  return propagation.fields().includes('traceparent');
}
