// Which address a request comes from, for per-client limits. Behind a reverse proxy every request arrives from
// the proxy, so with `trustProxy` set the address is taken from X-Forwarded-For: walking it from the right (the
// hop the proxy itself appended) past every trusted proxy, the first untrusted hop is the client. Entries left
// of it are whatever the client chose to send and are never believed.
import { BlockList, isIP } from 'node:net';

export type AddressOf = (remoteAddress: string, headers: Record<string, string>) => string;

/** `::ffff:1.2.3.4` (IPv4 on a dual-stack socket) is 1.2.3.4. */
function normalize(address: string): string {
  const a = address.trim().toLowerCase();
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

function trustedList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (entry === 'loopback') {
      list.addSubnet('127.0.0.0', 8, 'ipv4');
      list.addAddress('::1', 'ipv6');
      continue;
    }
    const [addr, bits] = entry.split('/');
    const family = isIP(addr);
    if (!family) throw new Error(`trustProxy: ${JSON.stringify(raw)} is not an IP address, a CIDR or "loopback"`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(bits), type);
  }
  return list;
}

function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export function clientAddress(trustProxy: readonly string[]): AddressOf {
  if (trustProxy.length === 0) return (remote) => normalize(remote);
  const trusted = trustedList(trustProxy);
  return (remote, headers) => {
    let client = normalize(remote);
    if (!isTrusted(trusted, client)) return client;
    const hops = (headers['x-forwarded-for'] ?? '').split(',').map(normalize).filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      client = hops[i];
      if (!isIP(client)) return client; // garbage from an untrusted hop: still a key of its own, never a proxy
      if (!isTrusted(trusted, client)) return client;
    }
    return client;
  };
}
