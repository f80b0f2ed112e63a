import type { Clock } from '../../../src/domain/ports/Clock';

export class FixedClock implements Clock {
  constructor(private current: Date = new Date('2030-01-01T10:00:00.000Z')) {}

  now(): Date {
    return new Date(this.current.getTime());
  }

  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}
