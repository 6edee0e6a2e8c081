/** Police: ask the victim for footage (crime reference, time window, reason). */
import { useState } from 'preact/hooks';
import { post } from '../../api.js';
import { ErrorText, Field, useAction } from '../../components/form.js';
import { navigate } from '../../router.js';

/** `datetime-local` value for a time, in the browser's zone. */
export function localInput(ts: number): string {
  const d = new Date(ts - new Date(ts).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

export function PoliceNewRequest() {
  const now = Date.now();
  const [force, setForce] = useState('');
  const [officerName, setOfficerName] = useState('');
  const [officerId, setOfficerId] = useState('');
  const [crimeReference, setCrimeReference] = useState('');
  const [offence, setOffence] = useState('');
  const [from, setFrom] = useState(localInput(now - 3600_000));
  const [to, setTo] = useState(localInput(now));
  const [reason, setReason] = useState('');
  const { busy, error, run } = useAction();
  return (
    <>
      <h1 tabIndex={-1}>New footage request</h1>
      <p>The person who lives here decides. You will see their answer in "My requests".</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            await post('/api/requests', {
              force,
              officerName,
              officerId,
              crimeReference,
              offence,
              fromTs: new Date(from).getTime(),
              toTs: new Date(to).getTime(),
              cameraIds: [],
              reason,
            });
            navigate('/police/requests');
          });
        }}
      >
        <Field label="Police force" value={force} onValue={setForce} required />
        <Field label="Officer name" value={officerName} onValue={setOfficerName} required autoComplete="name" />
        <Field label="Collar / warrant number" value={officerId} onValue={setOfficerId} required />
        <Field label="Crime reference" value={crimeReference} onValue={setCrimeReference} required />
        <Field label="Offence" value={offence} onValue={setOffence} required />
        <Field label="Footage from" type="datetime-local" value={from} onValue={setFrom} required />
        <Field label="Footage to" type="datetime-local" value={to} onValue={setTo} required />
        <div class="field">
          <label for="reason">Why you need it</label>
          <textarea id="reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} required rows={4} />
        </div>
        <ErrorText error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Send request
        </button>
      </form>
    </>
  );
}
