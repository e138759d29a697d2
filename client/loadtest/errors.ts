// Errors seen during a run, counted by kind with a few samples kept for the report.
export class ErrorLog {
  total = 0;
  readonly byKind: Record<string, number> = {};
  readonly samples: string[] = [];

  add(kind: string, message: string): void {
    this.total++;
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    if (this.samples.length < 20) this.samples.push(`${kind}: ${message}`);
  }

  /** Adds the errors a viewer worker counted. */
  merge(other: { total: number; byKind: Record<string, number>; samples: string[] }): void {
    this.total += other.total;
    for (const [k, n] of Object.entries(other.byKind)) this.byKind[k] = (this.byKind[k] ?? 0) + n;
    for (const x of other.samples) if (this.samples.length < 20) this.samples.push(x);
  }
}

/** The target could not be reached or refused the run's setup: exit status 2, one clear line. */
export class TargetError extends Error {}
