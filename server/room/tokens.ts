// Room tokens: HMAC-SHA256 over (room, role) with the server secret; stateless and constant-time to check.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenRole = 'presenter' | 'viewer';

export class TokenSigner {
  constructor(private readonly secret: string) {}

  sign(room: string, role: TokenRole): string {
    return createHmac('sha256', this.secret).update(`tilecast:${role}:${room}`).digest('base64url');
  }

  verify(room: string, role: TokenRole, token: string | null | undefined): boolean {
    return !!token && sameSecret(token, this.sign(room, role));
  }

  /** Watching a room (or its snapshot, or its recording): the viewer token, or the presenter's. */
  admitsViewer(room: string, token: string | null | undefined): boolean {
    return this.verify(room, 'viewer', token) || this.verify(room, 'presenter', token);
  }
}

/** Constant-time comparison of two secrets. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
