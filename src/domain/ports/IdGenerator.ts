/** The domain never generates random ids itself. */
export interface IdGenerator {
  /** A new RFC 4122 UUID. */
  uuid(): string;
}
