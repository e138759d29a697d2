// Token buckets per key (client address): `burst` requests at once, then `perMinute` refilled continuously.
// Memory is bounded: at `maxKeys` keys the least recently used one is forgotten.
export interface Take {
  ok: boolean;
  /** seconds until one request would be allowed again (0 when ok) */
  retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly burst: number,
    perMinute: number,
    private readonly maxKeys = 50_000,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
  }

  take(key: string): Take {
    if (this.perMs === 0) return { ok: true, retryAfterSeconds: 0 };
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.perMs);
    b.at = now;
    this.buckets.delete(key); // re-inserted below: map order is least recently used first
    if (b.tokens >= 1) {
      b.tokens -= 1;
      this.keep(key, b);
      return { ok: true, retryAfterSeconds: 0 };
    }
    this.keep(key, b);
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000)) };
  }

  get size(): number {
    return this.buckets.size;
  }

  private keep(key: string, b: Bucket): void {
    this.buckets.set(key, b);
    // At the cap the least recently used key goes (O(1)); it merely starts again with a full bucket.
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
  }
}
