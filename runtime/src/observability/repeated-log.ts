// A log line for something that can happen at every tick of a loop: the first at once, then a summary at most once per interval.

/**
 * Counts occurrences of one repeated event and says when to log it: the first occurrence at once,
 * then at most once per `everyMs`, carrying how many occurred since the last line. A loop that
 * runs twice a second under a lasting condition (an overload, an outage) then writes a line every
 * half minute instead of a hundred and twenty, and no occurrence goes uncounted.
 */
export class RepeatedLog {
  private lastAt = -Infinity;
  private pending = 0;

  constructor(
    private readonly everyMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records `count` occurrences; returns how many to report (this call's and those held back
   * since the last line) when a line is due now, or undefined when it is not.
   */
  record(count = 1): number | undefined {
    this.pending += count;
    const now = this.now();
    if (now - this.lastAt < this.everyMs) return undefined;
    const reported = this.pending;
    this.lastAt = now;
    this.pending = 0;
    return reported;
  }
}
