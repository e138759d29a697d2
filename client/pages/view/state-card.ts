// The centred card that tells a viewer what is going on when there is no live picture to look at.
import { $ } from '../../lib/dom';
import type { ViewerState } from '../../lib/downlink';

const TITLES: Record<ViewerState, string> = {
  connecting: 'Connecting…',
  waiting: 'Waiting for the presenter',
  live: '',
  loading: 'Loading the picture…',
  reconnecting: 'Presenter reconnecting',
  ended: 'The presentation has ended',
  offline: 'Connection lost',
  error: 'Cannot watch this room',
};

export class StateCard {
  private readonly card = $('state-card');
  private readonly spinner = $('state-spinner');
  private readonly icon = $('state-icon');
  private readonly title = $('state-title');
  private readonly text = $('state-text');
  private readonly action = $('state-action');

  show(state: ViewerState, detail: string, everLive: boolean): void {
    this.card.hidden = state === 'live';
    this.card.dataset.state = state;
    const busy =
      state === 'connecting' ||
      state === 'waiting' ||
      state === 'loading' ||
      state === 'reconnecting' ||
      state === 'offline';
    this.spinner.hidden = !busy;
    this.icon.hidden = busy;
    this.icon.textContent = state === 'ended' ? '✓' : '!';
    this.title.textContent = TITLES[state];
    this.text.textContent =
      state === 'waiting' && !everLive
        ? 'The picture appears here as soon as they share their screen. You can leave this page open.'
        : state === 'connecting'
          ? ''
          : detail;
    this.action.hidden = !(state === 'ended' || state === 'error');
  }
}
