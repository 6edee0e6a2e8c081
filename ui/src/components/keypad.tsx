/**
 * PIN entry: big digit keys for one-handed use plus a real password field for keyboards. The
 * screen never reveals which PIN was used: the duress PIN looks exactly like the normal one.
 */
import { useId } from 'preact/hooks';

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9'];

export function Keypad(props: { pin: string; onPin: (pin: string) => void; disabled?: boolean }) {
  const id = useId();
  const add = (d: string) => {
    if (props.pin.length < 12) props.onPin(props.pin + d);
  };
  return (
    <div class="keypad">
      <div class="field">
        <label for={id}>PIN</label>
        <input
          id={id}
          type="password"
          inputMode="numeric"
          autoComplete="off"
          pattern="[0-9]*"
          maxLength={12}
          value={props.pin}
          disabled={props.disabled}
          onInput={(e) => props.onPin(e.currentTarget.value.replace(/\D/g, ''))}
        />
      </div>
      <fieldset class="keys">
        <legend class="sr-status">PIN keys</legend>
        {KEYS.map((d) => (
          <button key={d} type="button" disabled={props.disabled} onClick={() => add(d)}>
            {d}
          </button>
        ))}
        <button type="button" disabled={props.disabled} onClick={() => props.onPin('')} aria-label="Clear PIN">
          Clear
        </button>
        <button type="button" disabled={props.disabled} onClick={() => add('0')}>
          0
        </button>
        <button type="button" disabled={props.disabled} onClick={() => props.onPin(props.pin.slice(0, -1))} aria-label="Delete last digit">
          ⌫
        </button>
      </fieldset>
    </div>
  );
}
