/** Handover: the installer's last step. Shows the owner's one-time code; the installer is then locked out. */
import { useState } from 'preact/hooks';
import { post } from '../../api.js';
import { ErrorText, useAction } from '../../components/form.js';

export function Handover() {
  const [code, setCode] = useState<string | null>(null);
  const [sure, setSure] = useState(false);
  const { busy, error, run } = useAction();
  if (code) {
    return (
      <>
        <h1 tabIndex={-1}>Handed over</h1>
        <p>Give this one-time code to the person who lives here. They use it to make their own account.</p>
        <p class="big-code" data-testid="owner-code">
          {code}
        </p>
        <p>
          Tell them: their recordings are locked with their password, and they will get a recovery code to write down. If they lose both the
          password and the recovery code, nobody can ever open the recordings: not you, not the police, not the makers of this hub.
        </p>
        <p>
          Your installer account is now closed: you can no longer sign in to this hub. Close this page when the code has been passed on.
        </p>
      </>
    );
  }
  return (
    <>
      <h1 tabIndex={-1}>Hand over</h1>
      <p>
        When the cameras and sensors are set up and walk-tested, hand the hub over. After this you can no longer sign in or see anything in
        it.
      </p>
      <div class="check">
        <input id="handover-sure" type="checkbox" checked={sure} onChange={(e) => setSure(e.currentTarget.checked)} />
        <label for="handover-sure">Everything is set up and tested</label>
      </div>
      <ErrorText error={error} />
      <button
        type="button"
        class="primary"
        disabled={busy || !sure}
        onClick={() =>
          run(async () => {
            const r = await post<{ ownerCode: string }>('/api/installer/handover', {});
            setCode(r.ownerCode);
          })
        }
      >
        Hand over and sign out
      </button>
    </>
  );
}
