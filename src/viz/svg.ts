/**
 * Small SVG drawing helpers shared by the diagrams (`pipeline.ts`, `peft-diagram.ts`): boxes whose fill says
 * whether a part is trained or frozen, arrows, text. Strings in, strings out; nothing is measured, so every
 * position is given by the caller.
 */
import { escapeHtml } from './images';

/** How a part of a model is treated in a stage: trained (its weights change) or frozen (kept bit for bit). */
export type PartState = 'trained' | 'frozen';

/** Fill and stroke of each state, and of plain boxes (data, notes). */
export const STATE_STYLE: Readonly<Record<PartState | 'plain', { fill: string; stroke: string; text: string }>> = Object.freeze({
  trained: { fill: '#fdb863', stroke: '#b35806', text: '#4a2500' },
  frozen: { fill: 'url(#tpp-frozen)', stroke: '#5e6f82', text: '#1d2733' },
  plain: { fill: '#f7f7f7', stroke: '#999', text: '#222' },
});

/** `<defs>` every diagram needs: the frozen hatch pattern and the arrow head. */
export function svgDefs(): string {
  return '<defs>' +
    '<pattern id="tpp-frozen" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
    '<rect width="8" height="8" fill="#dde5ee"/><line x1="0" y1="0" x2="0" y2="8" stroke="#b4c2d1" stroke-width="3"/></pattern>' +
    '<marker id="tpp-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">' +
    '<path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>';
}

/** Text at (x, y); `lines` split on `\n` are stacked 1.2 em apart. */
export function svgText(x: number, y: number, text: string, o: { size?: number; anchor?: 'start' | 'middle' | 'end'; weight?: number; color?: string; italic?: boolean } = {}): string {
  const size = o.size ?? 12;
  const lines = text.split('\n');
  const attrs = `x="${x}" y="${y}" font-size="${size}" text-anchor="${o.anchor ?? 'middle'}" fill="${o.color ?? '#222'}"` +
    `${o.weight ? ` font-weight="${o.weight}"` : ''}${o.italic ? ' font-style="italic"' : ''}`;
  if (lines.length === 1) return `<text ${attrs}>${escapeHtml(text)}</text>`;
  return `<text ${attrs}>${lines.map((l, i) => `<tspan x="${x}" dy="${i === 0 ? 0 : 1.2}em">${escapeHtml(l)}</tspan>`).join('')}</text>`;
}

/**
 * A rounded box with centred text, styled by `state`, tagged `data-part` (and `data-state` for model parts) so
 * tests and readers can find it.
 */
export function svgBox(x: number, y: number, w: number, h: number, label: string, o: { state?: PartState; part?: string; size?: number; dashed?: boolean } = {}): string {
  const style = STATE_STYLE[o.state ?? 'plain'];
  const lines = label.split('\n').length;
  const size = o.size ?? 12;
  const ty = y + h / 2 - ((lines - 1) * 1.2 * size) / 2 + size * 0.35;
  const tags = `${o.part ? ` data-part="${escapeHtml(o.part)}"` : ''}${o.state ? ` data-state="${o.state}"` : ''}`;
  return `<g${tags}><rect x="${x}" y="${y}" width="${w}" height="${h}" rx="5" fill="${style.fill}" stroke="${style.stroke}" stroke-width="${o.state === 'trained' ? 2 : 1.2}"${o.dashed ? ' stroke-dasharray="4 3"' : ''}/>` +
    `${svgText(x + w / 2, ty, label, { size, color: style.text })}</g>`;
}

/** An arrow from (x1, y1) to (x2, y2). */
export function svgArrow(x1: number, y1: number, x2: number, y2: number, o: { dashed?: boolean; color?: string } = {}): string {
  return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${o.color ?? '#444'}" stroke-width="1.6" marker-end="url(#tpp-arrow)"${o.dashed ? ' stroke-dasharray="5 3"' : ''}/>`;
}

/** A legend row: a swatch per state with its meaning, starting at (x, y). */
export function svgStateLegend(x: number, y: number, entries: readonly [PartState, string][]): string {
  let cx = x;
  return `<g data-part="legend">${entries.map(([state, text]) => {
    const s = STATE_STYLE[state];
    const out = `<rect x="${cx}" y="${y - 11}" width="26" height="14" rx="3" fill="${s.fill}" stroke="${s.stroke}" stroke-width="${state === 'trained' ? 2 : 1.2}"/>` +
      svgText(cx + 32, y, text, { anchor: 'start', size: 12 });
    cx += 40 + text.length * 6.4;
    return out;
  }).join('')}</g>`;
}

/** The `<svg>` element around `body`, with the defs, a white background and a sans-serif font. */
export function svgDocument(width: number, height: number, body: string, title: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" role="img" aria-label="${escapeHtml(title)}">` +
    `<title>${escapeHtml(title)}</title>${svgDefs()}<rect width="${width}" height="${height}" fill="#fff"/>${body}</svg>`;
}
