// The presenter's pointer, drawn as a DOM dot over the canvas so it never touches the picture itself.

export class PointerOverlay {
  readonly element: HTMLDivElement;
  private x = 0;
  private y = 0;
  private visible = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    container: HTMLElement,
  ) {
    this.element = document.createElement('div');
    this.element.className = 'pointer';
    this.element.hidden = true;
    container.append(this.element);
    new ResizeObserver(() => this.place()).observe(canvas);
  }

  /** x, y in screen pixels of the shared picture */
  set(x: number, y: number, visible: boolean): void {
    this.x = x;
    this.y = y;
    this.visible = visible;
    this.place();
  }

  place(): void {
    const c = this.canvas;
    const parent = this.element.offsetParent as HTMLElement | null;
    if (!this.visible || !c.width || !parent) {
      this.element.hidden = !this.visible;
      return;
    }
    // The picture may be letterboxed inside the element (object-fit: contain).
    const box = c.getBoundingClientRect();
    const origin = parent.getBoundingClientRect();
    const scale = Math.min(box.width / c.width, box.height / c.height);
    const left = box.left - origin.left + parent.scrollLeft + (box.width - c.width * scale) / 2;
    const top = box.top - origin.top + parent.scrollTop + (box.height - c.height * scale) / 2;
    this.element.hidden = false;
    this.element.style.transform = `translate(${left + this.x * scale}px, ${top + this.y * scale}px)`;
  }
}
