// Small DOM helpers shared by the pages.

export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page is missing #${id}`);
  return el as T;
}

/** Copies text and acknowledges on the button for a moment. */
export function wireCopyButton(button: HTMLButtonElement, text: () => string): void {
  button.addEventListener('click', async () => {
    const value = text();
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      // Clipboard API refused (insecure origin or no permission): fall back to selecting the text.
      const input = button.parentElement?.querySelector('input');
      input?.select();
      document.execCommand?.('copy');
    }
    const label = button.textContent;
    button.textContent = 'Copied';
    button.classList.add('copied');
    setTimeout(() => {
      button.textContent = label;
      button.classList.remove('copied');
    }, 1400);
  });
}

export function showBanner(banner: HTMLElement, text: string | null, tone: 'info' | 'warn' | 'bad' = 'info'): void {
  banner.hidden = !text;
  banner.textContent = text ?? '';
  banner.dataset.tone = tone;
}

export function setPill(pill: HTMLElement, state: string, text: string): void {
  pill.dataset.state = state;
  pill.textContent = text;
}

export function formatNumber(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
