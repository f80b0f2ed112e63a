import {
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  type GrpcRetryOptions,
} from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../../config';

type Interceptor = ReturnType<typeof makeGrpcRetryInterceptor>;
type Deadline = Parameters<Interceptor>[0]['deadline'];

function epochMs(deadline: Deadline): number {
  if (deadline === undefined) return Infinity;
  return typeof deadline === 'number' ? deadline : deadline.getTime();
}

/**
 * The SDK's own gRPC retries (UNAVAILABLE and the like, backing off from 100 ms to 5 s), held to each
 * call's deadline: a retry whose wait would end past it is not made, and the call fails with the last
 * status. The SDK's interceptor waits out its backoff regardless, so a call under `withDeadline` could
 * answer seconds late while Temporal was down. Calls without a deadline retry as the SDK does.
 */
export function deadlineBoundRetries(defaults: GrpcRetryOptions = defaultGrpcRetryOptions()): Interceptor {
  return (options, nextCall) => {
    const deadline = epochMs(options.deadline);
    let delay = 0;
    return makeGrpcRetryInterceptor({
      // The SDK asks the decider first, then the delay of the retry it allowed.
      retryableDecider(attempt, status) {
        if (!defaults.retryableDecider(attempt, status)) return false;
        delay = defaults.delayFunction(attempt, status);
        return Date.now() + delay < deadline;
      },
      delayFunction: () => delay,
    })(options, nextCall);
  };
}

/** The client side's connection (gRPC-js; lazy: it connects on first use), retries bound as above. */
export function createClientConnection(config: Pick<Config, 'TEMPORAL_ADDRESS'>): Connection {
  return Connection.lazy({ address: config.TEMPORAL_ADDRESS, interceptors: [deadlineBoundRetries()] });
}

/** The worker side's connection (Rust core); separate from the client's (the container's temporalConnection). */
export function createWorkerConnection(config: Pick<Config, 'TEMPORAL_ADDRESS'>): Promise<NativeConnection> {
  return NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
}
