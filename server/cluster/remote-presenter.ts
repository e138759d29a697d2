// The presenter of a replica room, as the Room sees it: a Connection that is not a socket. Attaching it makes
// the replica live, detaching it starts the replica's grace period, exactly as a local presenter would.
import type { Connection } from '../transport/types';

export function remotePresenter(): Connection {
  return {
    context: { role: 'presenter', remote: true },
    open: true,
    send: () => true,
    bufferedAmount: () => 0,
    cork: (fn) => fn(),
    close: () => {},
  };
}
