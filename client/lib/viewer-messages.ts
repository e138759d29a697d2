// What a viewer is told when the picture stops: kept apart from the socket code so each case can be tested.
import { CloseCode } from '../../shared/protocol/close-codes';

/**
 * Why a room ended, as seen from the viewer. The server closes every viewer with 1000 'room ended' whatever the
 * cause, so the state the viewer was in just before tells them apart: a presenter that was reconnecting when the
 * room ended never came back (grace period over); one that was live ended it on purpose.
 */
export type EndKind = 'presenter-ended' | 'presenter-gone' | 'ended-while-away' | 'already-ended' | 'closed';

export function endKind(previous: string): EndKind {
  switch (previous) {
    case 'live':
    case 'loading':
      return 'presenter-ended';
    case 'reconnecting':
      return 'presenter-gone';
    case 'offline':
      return 'ended-while-away';
    case 'connecting':
      return 'already-ended';
    default:
      return 'closed';
  }
}

export const END_TEXT: Record<EndKind, string> = {
  'presenter-ended': 'The presenter ended the presentation. Thanks for watching.',
  'presenter-gone': 'The presenter lost their connection and did not come back in time, so the room was closed.',
  'ended-while-away': 'The presentation ended while you were disconnected.',
  'already-ended': 'This presentation has already ended.',
  closed: 'The room was closed before the presenter shared their screen.',
};

/** A close after which the viewer gives up (the socket's `isFinal`). 1001 (server restarting) is never final. */
export const FINAL_CLOSE_CODES: readonly number[] = [
  CloseCode.Normal,
  CloseCode.Unauthorized,
  CloseCode.RoomNotFound,
  CloseCode.UnsupportedVersion,
];

/** The text for a close the viewer does not retry. `hadToken` tells a wrong token from a missing one. */
export function finalCloseText(code: number, reason: string, hadToken: boolean): string {
  if (code === CloseCode.RoomNotFound) return 'This room does not exist (or has already ended).';
  if (code === CloseCode.Unauthorized)
    return hadToken
      ? "This link's access token is invalid, or it was revoked or has expired. Ask the presenter for a new link."
      : 'This is a private room: the link is missing its access token. Ask the presenter for the full link.';
  if (code === CloseCode.UnsupportedVersion) return 'This page is out of date for this server. Reload the page.';
  return reason || `Disconnected (code ${code}).`;
}

/** The text while the viewer waits to reconnect. */
export function retryText(code: number, retryInMs: number): string {
  const seconds = Math.max(1, Math.ceil(retryInMs / 1000));
  if (code === CloseCode.GoingAway) return `The server is restarting. Reconnecting in ${seconds} s…`;
  if (code === CloseCode.Overloaded) return `The server is full right now. Trying again in ${seconds} s…`;
  return `Connection lost. Reconnecting in ${seconds} s…`;
}
