// `--port P` for the baseline servers (the bench passes a free port).
export function portArg(argv = process.argv.slice(2)): number {
  const i = argv.indexOf('--port');
  const port = Number(i >= 0 ? argv[i + 1] : Number.NaN);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('usage: <baseline> --port <port>');
    process.exit(2);
  }
  return port;
}

/** /ws/present/<room> or /ws/view/<room> */
export function parseRoute(url: string): { role: 'presenter' | 'viewer'; room: string } | null {
  const m = /^\/ws\/(present|view)\/([A-Za-z0-9_-]{1,64})/.exec(url);
  return m ? { role: m[1] === 'present' ? 'presenter' : 'viewer', room: m[2] } : null;
}
