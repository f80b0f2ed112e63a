export { createTemporalClient, createTemporalConnection, createWorkerConnection } from './connection';
export { isWorkflowGone, mapTemporalError, ReservationOrchestrationError } from './errors';
export { installTemporalRuntime, PinoTemporalLogger } from './runtime';
export { TemporalOrderSignals } from './TemporalOrderSignals';
export {
  TemporalReservationOrchestrator,
  type TemporalReservationOrchestratorDeps,
} from './TemporalReservationOrchestrator';
export {
  bundleReservationWorkflows,
  createReservationWorker,
  type ReservationWorker,
  type ReservationWorkerOptions,
} from './worker';
