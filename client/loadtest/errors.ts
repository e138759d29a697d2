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
}

/** The target could not be reached or refused the run's setup: exit status 2, one clear line. */
export class TargetError extends Error {}
