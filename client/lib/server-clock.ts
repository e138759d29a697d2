// Estimates the server's clock from ping/pong, so latency (viewer now - presenter capture time) holds across
// machines: the presenter stamps frames in server time and the viewer reads them in server time.

export class ServerClock {
  private offsetMs = 0;
  private bestRttMs = Number.POSITIVE_INFINITY;
  private samples = 0;

  /** ms since epoch, on the server's clock as far as we know it */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  get rttMs(): number {
    return this.bestRttMs;
  }

  ping(): string {
    return JSON.stringify({ type: 'ping', t: Date.now() });
  }

  /** Feeds a pong back; the lowest-RTT sample is the most accurate, older ones age out slowly. */
  pong(t: number, serverTime: number): void {
    const now = Date.now();
    const rtt = now - t;
    if (rtt < 0) return;
    this.bestRttMs *= 1.05;
    if (rtt <= this.bestRttMs || this.samples++ < 1) {
      this.bestRttMs = rtt;
      this.offsetMs = serverTime - (t + now) / 2;
    }
  }
}
