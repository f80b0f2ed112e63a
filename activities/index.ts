export {
  createReservationActivities,
  toActivityFailure,
  type ReservationActivities,
  type ReservationActivitiesCradle,
  type ReservationUseCases,
} from './reservation';
