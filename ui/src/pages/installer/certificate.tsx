/** The installer puts the hub's certificate on the victim's phone: QR code and fingerprint (see README). */
import { HubCertificate } from '../../components/hub-certificate.js';

export function CertificatePage() {
  return (
    <>
      <h1 tabIndex={-1}>Phone certificate</h1>
      <p>
        Do this on every phone that will use the hub, so it talks to this hub only and nobody on the Wi-Fi can read or change what is sent.
      </p>
      <HubCertificate />
    </>
  );
}
