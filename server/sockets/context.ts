// What the server remembers about one WebSocket between callbacks.
import type { ViewerHandle } from '../fanout/viewer';
import type { Room } from '../room/room';
import type { TokenBucket } from './rate-limit';

export interface ConnContext {
  role: 'presenter' | 'viewer';
  roomId: string;
  token: string | null;
  room: Room | null;
  viewer: ViewerHandle | null;
  /** the presenter asked to end the room: its close is not a drop */
  endRequested: boolean;
  /** this connection's control-message allowance */
  bucket: TokenBucket;
}
