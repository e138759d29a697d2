// `npm run loadtest -- [flags]`: parses flags, runs, prints the table, writes JSON and the latency chart.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TargetError } from './errors';
import { classSeries, latencyChart } from './latency-chart';
import { HELP, UsageError, parseOptions } from './options';
import { formatReport } from './report-table';
import { runLoadTest } from './run';
import { VIEWER_CLASSES } from './viewer-stats';

function write(file: string, text: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, text);
}

async function main(): Promise<number> {
  let o: ReturnType<typeof parseOptions>;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`tilecast-loadtest: ${err.message}\n(see --help)`);
    return 2;
  }
  if (!o) {
    console.log(HELP);
    return 0;
  }
  let report: Awaited<ReturnType<typeof runLoadTest>>;
  try {
    report = await runLoadTest(o, !o.quiet);
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    console.error(`tilecast-loadtest: ${err.message}`);
    return 2;
  }
  if (!o.quiet) console.log(formatReport(report));
  if (o.json) write(o.json, `${JSON.stringify(report, null, 2)}\n`);
  const svg = o.svg ?? (o.json ? o.json.replace(/\.json$/i, '') + '.svg' : undefined);
  if (svg) {
    const series = VIEWER_CLASSES.filter((c) => report.classes[c].latencyMs.count).map((c) =>
      classSeries(c, report.classes[c].latencyMs),
    );
    write(svg, latencyChart(`${report.label}: end-to-end latency by viewer class`, series));
  }
  return report.errors.total > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`tilecast-loadtest: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
