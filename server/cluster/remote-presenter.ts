// The presenter of a replica room, as the Room sees it: a Connection that is not a socket. Attaching it makes
// the replica live, detaching it starts the replica's grace period, exactly as a local presenter would. Of what the
// Room sends its presenter, only a motion key request matters elsewhere: it is handed to `requestMotionKey` (the
// node asks the origin over the bus); status and the rest stay here.
import { MOTION_KEY_REQUEST } from '../room/room';
import type { Connection } from '../transport/types';

export function remotePresenter(requestMotionKey: () => void): Connection {
  return {
    context: { role: 'presenter', remote: true },
    open: true,
    send: (data) => {
      if (data === MOTION_KEY_REQUEST) requestMotionKey();
      return true;
    },
    bufferedAmount: () => 0,
    cork: (fn) => fn(),
    close: () => {},
  };
}
