/** The domain never reads the wall clock itself; time is injected. */
export interface Clock {
  now(): Date;
}
