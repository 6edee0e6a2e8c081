/**
 * A simulated alarm receiving centre for the demo: a SIA DC-09 receiver on loopback that prints
 * each message it gets (decoded: account, code, zone, extended data) and acknowledges it. The hub
 * may not import plugins, so this reads DC-09 on its own; it is a demo prop, not an ARC.
 */
import { createDecipheriv } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';

export interface ArcMessage {
  id: string;
  seq: string;
  account: string;
  data: string;
  extended: string[];
  code: string | null;
  zone: string | null;
}

function crc(text: string): string {
  let c = 0;
  for (const b of Buffer.from(text, 'latin1')) {
    c ^= b;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
  }
  return c.toString(16).toUpperCase().padStart(4, '0');
}

function wrap(body: string): string {
  return `\n${crc(body)}${body.length.toString(16).toUpperCase().padStart(4, '0')}${body}\r`;
}

const HEADER = /^"(\*?)(SIA-DCS|ADM-CID|NULL)"(\d{4})(R[0-9A-F]{1,6})?(L[0-9A-F]{1,6})#([0-9A-F]{3,16})\[(.*)$/i;

export class ArcReceiverSim {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    /** Where decoded messages are printed (the demo swaps it once its console is ready). */
    public output: (line: string) => void,
    private readonly key: Buffer | null = null,
  ) {}

  async start(port = 0): Promise<number> {
    const server = createServer((sock) => {
      this.sockets.add(sock);
      let pending = '';
      sock.on('data', (chunk) => {
        pending += chunk.toString('latin1');
        let end = pending.indexOf('\r');
        while (end >= 0) {
          const reply = this.handle(pending.slice(0, end));
          pending = pending.slice(end + 1);
          if (reply) sock.write(reply, 'latin1');
          end = pending.indexOf('\r');
        }
      });
      sock.on('error', (err) => this.output(`[arc] connection error: ${err.message}`));
      sock.on('close', () => this.sockets.delete(sock));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(raw: string): string | null {
    const text = raw.slice(raw.indexOf('\n') + 1);
    const body = text.slice(8);
    if (crc(body) !== text.slice(0, 4).toUpperCase()) {
      this.output('[arc] frame with a bad CRC: answering NAK');
      return wrap(`"NAK"0000R0L0A0[]${stamp()}`);
    }
    const m = HEADER.exec(body);
    if (!m) {
      this.output(`[arc] unreadable frame: ${JSON.stringify(body.slice(0, 40))}`);
      return wrap(`"DUH"0000L0#0[]`);
    }
    const [, star, id, seq, r, l, account] = m as unknown as [string, string, string, string, string | undefined, string, string];
    let rest = m[7] ?? '';
    if (star) {
      if (!this.key) {
        this.output(`[arc] encrypted ${id} from #${account} but the simulator has no key`);
        return wrap(`"DUH"${seq}${r ?? ''}${l}#${account}[]`);
      }
      const d = createDecipheriv(`aes-${this.key.length * 8}-cbc`, this.key, Buffer.alloc(16));
      d.setAutoPadding(false);
      const plain = Buffer.concat([d.update(Buffer.from(rest, 'hex')), d.final()]).toString('latin1');
      rest = plain.slice(plain.indexOf('|') + 1);
    }
    const close = rest.indexOf(']');
    const data = rest.slice(0, close);
    const extended = [...rest.slice(close + 1).matchAll(/\[([^\]]*)\]/g)].map((x) => x[1] ?? '');
    const sia = /\|N(?:ri\d+\/)?([A-Z]{2})(\d*)$/.exec(data);
    const msg: ArcMessage = { id, seq, account, data, extended, code: sia?.[1] ?? null, zone: sia?.[2] ?? null };
    this.output(describe(msg));
    return wrap(`"${star ? '*' : ''}ACK"${seq}${r ?? ''}${l}#${account}[]`);
  }
}

const NAMES: Record<string, string> = {
  PA: 'PANIC',
  HA: 'DURESS (hold-up)',
  BA: 'BURGLARY (confirmed)',
  TA: 'TAMPER',
  TR: 'tamper restored',
  AT: 'hub power lost',
  AR: 'hub power restored',
  YC: 'hub link lost',
  YK: 'hub link restored',
  RX: 'manual test',
  OP: 'opening',
  CL: 'closing',
};

function describe(m: ArcMessage): string {
  if (m.id === 'NULL') return `[arc] link test from #${m.account} (seq ${m.seq}): ACK`;
  const what = m.code ? `${m.code} ${NAMES[m.code] ?? ''}`.trim() : m.data;
  const extra = m.extended.length > 0 ? ` with ${m.extended.join(' | ')}` : ' (no location shared)';
  return `[arc] ${m.id} from #${m.account} seq ${m.seq}: ${what} zone ${m.zone ?? '-'}${extra}: ACK`;
}

function stamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `_${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())},${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${d.getUTCFullYear()}`;
}
