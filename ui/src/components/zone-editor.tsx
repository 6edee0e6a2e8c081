/**
 * Draw detection zones on a camera still. Click or tap to add corners; keyboard users move a
 * cross-hair with the arrow keys and press Enter to add a corner. Points are 0-1 frame
 * coordinates, the same the detector uses (`detect.zones`).
 */
import { useId, useState } from 'preact/hooks';
import type { Zone } from '../../../hub/api/devices.js';
import { Field } from './form.js';

type Pt = [number, number];
const clamp = (v: number) => Math.min(1, Math.max(0, Math.round(v * 1000) / 1000));

export function ZoneEditor(props: { imageUrl: string; zones: Zone[]; onChange: (zones: Zone[]) => void }) {
  const [points, setPoints] = useState<Pt[]>([]);
  const [cursor, setCursor] = useState<Pt>([0.5, 0.5]);
  const [name, setName] = useState('');
  const helpId = useId();

  const add = (p: Pt) => setPoints([...points, [clamp(p[0]), clamp(p[1])]]);
  const finish = () => {
    if (points.length < 3) return;
    props.onChange([...props.zones, { name: name.trim() || `Zone ${props.zones.length + 1}`, points }]);
    setPoints([]);
    setName('');
  };
  const onKey = (e: KeyboardEvent) => {
    const step = e.shiftKey ? 0.1 : 0.02;
    const moves: Record<string, Pt> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    const m = moves[e.key];
    if (m) {
      e.preventDefault();
      setCursor([clamp(cursor[0] + m[0]), clamp(cursor[1] + m[1])]);
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      add(cursor);
    } else if (e.key === 'Backspace') {
      e.preventDefault();
      setPoints(points.slice(0, -1));
    }
  };
  const poly = (pts: Pt[]) => pts.map((p) => `${p[0]},${p[1]}`).join(' ');

  return (
    <div class="zone-editor">
      <div
        class="frame"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the drawing surface takes arrow keys and Enter itself (role application)
        tabIndex={0}
        role="application"
        aria-label="Zone drawing area"
        aria-describedby={helpId}
        data-testid="zone-surface"
        onKeyDown={onKey}
      >
        <img src={props.imageUrl} alt="Camera still for drawing zones" />
        <svg
          viewBox="0 0 1 1"
          preserveAspectRatio="none"
          aria-hidden="true"
          data-testid="zone-canvas"
          onKeyDown={onKey}
          onClick={(e) => {
            const r = e.currentTarget.getBoundingClientRect();
            const p: Pt = [(e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height];
            setCursor(p);
            add(p);
          }}
        >
          {props.zones.map((z) => (
            <polygon key={z.name} points={poly(z.points)} class="zone saved" vector-effect="non-scaling-stroke" />
          ))}
          {points.length > 0 && <polyline points={poly(points)} class="zone drawing" vector-effect="non-scaling-stroke" />}
          {points.map((p) => (
            <circle key={`${p[0]}-${p[1]}`} cx={p[0]} cy={p[1]} r={0.012} class="corner" />
          ))}
          <circle cx={cursor[0]} cy={cursor[1]} r={0.02} class="cursor" />
        </svg>
      </div>
      <p id={helpId} class="hint">
        Tap or click to add corners (at least 3). With a keyboard: arrow keys move the cross-hair, Enter adds a corner, Backspace removes
        the last.
      </p>
      <p class="muted" aria-live="polite">
        {points.length} corner{points.length === 1 ? '' : 's'} in the new zone.
      </p>
      <Field label="Zone name" value={name} onValue={setName} placeholder="e.g. Path to the door" />
      <div class="actions">
        <button type="button" class="primary" disabled={points.length < 3} onClick={finish}>
          Finish zone
        </button>
        <button type="button" disabled={points.length === 0} onClick={() => setPoints([])}>
          Start again
        </button>
      </div>
      {props.zones.length > 0 && (
        <ul class="rows">
          {props.zones.map((z) => (
            <li key={z.name}>
              <span class="row-title">{z.name}</span>
              <button type="button" onClick={() => props.onChange(props.zones.filter((x) => x !== z))} aria-label={`Remove zone ${z.name}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
