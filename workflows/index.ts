/** The workflow bundle's entry point: every workflow type the reservation worker runs. */
export { reservationWorkflow } from './reservation';
export { replenishmentWorkflow } from './replenishment';
