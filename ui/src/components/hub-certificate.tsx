/**
 * The hub's certificate as a phone needs it: a QR code that opens the CA download (over plain
 * HTTP, before the phone trusts the hub), and the SHA-256 fingerprint to compare with what the
 * phone shows before trusting it. A match means the phone trusts exactly this hub.
 */
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import { ErrorText, useAction } from './form.js';

interface TlsInfo {
  enabled: boolean;
  fingerprint: string | null;
  notAfter: number | null;
  caUrl: string | null;
  qrSvg: string | null;
  source: 'generated' | 'files' | null;
}

export function HubCertificate() {
  const [info, setInfo] = useState<TlsInfo | null>(null);
  const load = useAction();
  useEffect(() => {
    void load.run(async () => setInfo(await get<TlsInfo>('/api/tls')));
  }, []);
  return (
    <section class="card" aria-labelledby="cert-h">
      <h2 id="cert-h">This hub's certificate</h2>
      <ErrorText error={load.error} />
      {info && !info.enabled && (
        <p class="status warn">This hub is set to plain HTTP (only safe behind a secure proxy on the same machine).</p>
      )}
      {info?.enabled && (
        <>
          <p>
            Scan the code with the phone's camera to fetch the certificate, install it, then check that the fingerprint the phone shows is
            the same as the one below. If it differs, do not trust it: someone on the network may be in the way.
          </p>
          {info.qrSvg && (
            <img
              class="qr"
              data-testid="cert-qr"
              alt={`QR code for ${info.caUrl ?? 'the certificate fingerprint'}`}
              width={220}
              height={220}
              src={`data:image/svg+xml;utf8,${encodeURIComponent(info.qrSvg)}`}
            />
          )}
          {info.caUrl && (
            <p>
              Or open <strong>{info.caUrl}</strong> on the phone.
            </p>
          )}
          <p>SHA-256 fingerprint:</p>
          <p class="fingerprint" data-testid="cert-fingerprint">
            {info.fingerprint ?? 'not made yet (restart the hub)'}
          </p>
          {info.notAfter && (
            <p class="hint">
              Valid until {new Date(info.notAfter).toLocaleDateString('en-GB')}
              {info.source === 'generated' ? '; the hub renews it itself.' : '; renew your own certificate before then.'}
            </p>
          )}
        </>
      )}
    </section>
  );
}
