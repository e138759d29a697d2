// Compares two tile pictures with Buffer.equals: vitest's deep equality walks megabytes of tiles byte by byte,
// which takes tens of seconds on a loaded machine.

/** Keys ("col,row") of the tiles that differ between two pictures; empty when they are the same picture. */
export function pictureDiff(got: Map<string, Buffer>, want: Map<string, Buffer>): string[] {
  const keys = new Set([...got.keys(), ...want.keys()]);
  return [...keys].filter((k) => !got.get(k) || !want.get(k) || !got.get(k)!.equals(want.get(k)!));
}
