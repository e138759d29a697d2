// Room tokens: HMAC-SHA256 over (room, role) with the server secret; stateless and constant-time to check.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenRole = 'presenter' | 'viewer';

export class TokenSigner {
  constructor(private readonly secret: string) {}

  sign(room: string, role: TokenRole): string {
    return createHmac('sha256', this.secret).update(`tilecast:${role}:${room}`).digest('base64url');
  }

  verify(room: string, role: TokenRole, token: string | null | undefined): boolean {
    if (!token) return false;
    const expected = Buffer.from(this.sign(room, role));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
