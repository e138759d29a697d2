// The presenter's connection: same token on every reconnect (the server resumes the room within its grace period).
import { CloseCode } from '../../../shared/protocol/close-codes';
import { MessageType, PROTOCOL_VERSION, type PresenterStateName } from '../../../shared/protocol/constants';
import { type ServerControl, parseServerControl } from '../../../shared/protocol/control';
import { decodeMessage } from '../../../shared/protocol/decode';
import { ServerClock } from '../../lib/server-clock';
import { ReconnectingSocket } from '../../lib/socket';
import { wsUrl } from '../../lib/urls';

export type UplinkState = 'connecting' | 'connected' | 'offline' | 'ended' | 'error';

export interface UplinkEvents {
  state(state: UplinkState, detail: string): void;
  welcome(msg: Extract<ServerControl, { type: 'welcome' }>): void;
  status(state: PresenterStateName, viewers: number): void;
  motionKey(): void;
}

const FINAL_CODES: number[] = [
  CloseCode.Normal,
  CloseCode.Unauthorized,
  CloseCode.RoomNotFound,
  CloseCode.UnsupportedVersion,
];

export class Uplink {
  readonly clock = new ServerClock();
  private readonly socket: ReconnectingSocket;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastError = '';
  bytesSent = 0;

  constructor(
    room: string,
    token: string,
    private readonly on: UplinkEvents,
  ) {
    this.socket = new ReconnectingSocket(
      {
        url: () => wsUrl(`/ws/present/${encodeURIComponent(room)}?token=${encodeURIComponent(token)}`),
        isFinal: (code) => FINAL_CODES.includes(code),
        maxDelayMs: 5000,
      },
      {
        open: () => this.opened(),
        message: (data) => this.message(data),
        close: (code, reason, retryInMs) => this.closed(code, reason, retryInMs),
      },
    );
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  connect(): void {
    this.on.state('connecting', 'Connecting…');
    this.socket.connect();
  }

  send(data: ArrayBuffer | Uint8Array | string): boolean {
    const ok = this.socket.send(data);
    if (ok && typeof data !== 'string') this.bytesSent += data.byteLength;
    return ok;
  }

  /** Ends the room for everyone, then closes. */
  end(): void {
    this.socket.send(JSON.stringify({ type: 'end' }));
    this.socket.stop(1000, 'presenter ended the room');
  }

  /** Simulates a network drop (tests): the socket reconnects by itself. */
  drop(): void {
    this.socket.drop();
  }

  private opened(): void {
    this.socket.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, client: 'tilecast-presenter' }));
    for (const delay of [0, 300, 900]) setTimeout(() => this.socket.send(this.clock.ping()), delay);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => this.socket.send(this.clock.ping()), 5000);
    this.on.state('connected', 'Connected');
  }

  private message(data: ArrayBuffer | string): void {
    if (typeof data === 'string') {
      let msg: ServerControl;
      try {
        msg = parseServerControl(data);
      } catch {
        console.warn('tilecast: ignoring an unknown control message');
        return;
      }
      if (msg.type === 'pong') this.clock.pong(msg.t, msg.serverTime);
      else if (msg.type === 'motionKey') this.on.motionKey();
      else this.on.welcome(msg);
      return;
    }
    try {
      const msg = decodeMessage(new Uint8Array(data));
      if (msg.type === MessageType.Status) this.on.status(msg.state, msg.viewers);
      else if (msg.type === MessageType.Error) this.lastError = msg.message;
    } catch (err) {
      console.warn('tilecast: ignoring a malformed message:', (err as Error).message);
    }
  }

  private closed(code: number, reason: string, retryInMs: number | null): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
    const why = this.lastError || reason;
    this.lastError = '';
    if (retryInMs !== null) {
      const conflict = code === CloseCode.PresenterConflict ? 'Another presenter is connected to this room. ' : '';
      this.on.state('offline', `${conflict}Connection lost. Reconnecting in ${Math.ceil(retryInMs / 1000)} s…`);
    } else if (code === CloseCode.Normal) this.on.state('ended', 'The room has ended.');
    else if (code === CloseCode.Unauthorized)
      this.on.state('error', 'This presenter link has a missing or wrong token.');
    else if (code === CloseCode.RoomNotFound)
      this.on.state('error', 'This room does not exist (or has already ended).');
    else this.on.state('error', why || `Disconnected (code ${code}).`);
  }
}
