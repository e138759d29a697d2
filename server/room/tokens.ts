// Room tokens: HMAC-SHA256 over (role, room, generation, expiry) with the server secret; constant-time to check.
// A token reads `g<generation>.e<expiry, epoch s, 0 = never>.<mac>`. Expiry is checked whenever a token is
// presented (at connect for sockets). Viewer tokens can be revoked by rotation: the signer remembers, per room,
// the lowest viewer generation it still accepts (in memory: rooms do not outlive the process either).
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenRole = 'presenter' | 'viewer';

export interface SignOptions {
  /** seconds from now until the token stops being accepted; absent = no expiry */
  ttlSeconds?: number;
}

/** Rooms whose viewer tokens were rotated: bounded so rotating cannot grow memory without end. */
const MAX_ROTATED_ROOMS = 100_000;
const FORMAT = /^g([0-9]{1,9})\.e([0-9]{1,12})\.([A-Za-z0-9_-]{43})$/;

export class TokenSigner {
  private readonly viewerGeneration = new Map<string, number>();

  constructor(
    private readonly secret: string,
    private readonly now: () => number = Date.now,
  ) {}

  sign(room: string, role: TokenRole, options: SignOptions = {}): string {
    const gen = role === 'viewer' ? (this.viewerGeneration.get(room) ?? 0) : 0;
    const exp = options.ttlSeconds ? Math.ceil(this.now() / 1000 + options.ttlSeconds) : 0;
    return `g${gen}.e${exp}.${this.mac(room, role, gen, exp)}`;
  }

  /** True for a well-formed, correctly signed, unexpired (and, for viewers, unrevoked) token of this room and role. */
  verify(room: string, role: TokenRole, token: string | null | undefined): boolean {
    const m = token ? FORMAT.exec(token) : null;
    if (!m) return false;
    const gen = Number(m[1]);
    const exp = Number(m[2]);
    if (!sameSecret(m[3], this.mac(room, role, gen, exp))) return false;
    if (exp !== 0 && exp * 1000 <= this.now()) return false;
    return role === 'presenter' || gen >= (this.viewerGeneration.get(room) ?? 0);
  }

  /** Watching a room (or its snapshot, or its recording): the viewer token, or the presenter's. */
  admitsViewer(room: string, token: string | null | undefined): boolean {
    return this.verify(room, 'viewer', token) || this.verify(room, 'presenter', token);
  }

  /** Revokes every viewer token of the room issued so far and returns a fresh one. */
  rotateViewer(room: string, options: SignOptions = {}): string {
    const next = (this.viewerGeneration.get(room) ?? 0) + 1;
    this.viewerGeneration.delete(room); // re-insert: the map's order is then oldest rotation first
    this.viewerGeneration.set(room, next);
    if (this.viewerGeneration.size > MAX_ROTATED_ROOMS)
      this.viewerGeneration.delete(this.viewerGeneration.keys().next().value!);
    return this.sign(room, 'viewer', options);
  }

  private mac(room: string, role: TokenRole, gen: number, exp: number): string {
    return createHmac('sha256', this.secret).update(`tilecast:${role}:${room}:${gen}:${exp}`).digest('base64url');
  }
}

/** Constant-time comparison of two secrets. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
