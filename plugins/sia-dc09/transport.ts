/**
 * Carries one DC-09 frame to the receiver and brings back its one response frame, over TCP (a
 * kept-open connection, reopened when it drops) or UDP (a datagram each way). Requests are
 * serialised: DC-09 matches a response to the one message outstanding.
 */
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import type { Logger } from '../../hub/api/plugin.js';
import { Dc09Error, FrameSplitter } from './frame.js';

export interface TransportOptions {
  host: string;
  port: number;
  protocol: 'tcp' | 'udp';
  timeoutMs: number;
  log: Logger;
}

export class Dc09Transport {
  private socket: Socket | null = null;
  private splitter = new FrameSplitter();
  private waiter: { resolve: (frame: Buffer) => void; reject: (err: Error) => void } | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: TransportOptions) {}

  /** Send a frame and wait for the receiver's response frame. */
  request(frame: Buffer, signal: AbortSignal): Promise<Buffer> {
    const run = this.queue.then(() => (this.opts.protocol === 'tcp' ? this.tcpRequest(frame, signal) : this.udpRequest(frame, signal)));
    // The next request waits for this one whatever its outcome; the caller gets the outcome.
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  close(): void {
    this.closed = true;
    this.dropSocket(new Dc09Error('transport closed'));
  }

  private where(): string {
    return `${this.opts.protocol}://${this.opts.host}:${this.opts.port}`;
  }

  private async tcpRequest(frame: Buffer, signal: AbortSignal): Promise<Buffer> {
    if (this.closed) throw new Dc09Error('transport closed');
    const socket = await this.ensureSocket(signal);
    return this.awaitResponse(signal, (fail) => {
      socket.write(frame, (err) => {
        if (err) fail(new Dc09Error(`write to receiver ${this.where()} failed: ${err.message}`));
      });
    });
  }

  private awaitResponse(signal: AbortSignal, send: (fail: (err: Error) => void) => void): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: Error | null, frame?: Buffer) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiter = null;
        if (err) {
          // After a timeout or garbage the stream's state is unknown: start clean next time.
          this.dropSocket(null);
          reject(err);
        } else resolve(frame as Buffer);
      };
      const onAbort = () => finish(new Dc09Error('send aborted'));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(
        () => finish(new Dc09Error(`no response from receiver ${this.where()} within ${this.opts.timeoutMs} ms`)),
        this.opts.timeoutMs,
      );
      this.waiter = { resolve: (f) => finish(null, f), reject: (e) => finish(e) };
      send((e) => finish(e));
    });
  }

  private ensureSocket(signal: AbortSignal): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    return new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: this.opts.host, port: this.opts.port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Dc09Error(`cannot connect to receiver ${this.where()} within ${this.opts.timeoutMs} ms`));
      }, this.opts.timeoutMs);
      const onAbort = () => {
        clearTimeout(timer);
        socket.destroy();
        reject(new Dc09Error('connect aborted'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.socket = socket;
        this.splitter = new FrameSplitter();
        resolve(socket);
      });
      socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
      socket.on('error', (err) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (this.socket !== socket) {
          reject(new Dc09Error(`cannot connect to receiver ${this.where()}: ${err.message}`));
          return;
        }
        this.opts.log.warn({ receiver: this.where(), err: err.message }, 'DC-09 connection error');
        this.dropSocket(new Dc09Error(`connection to receiver ${this.where()} failed: ${err.message}`));
      });
      socket.on('close', () => {
        if (this.socket === socket) this.dropSocket(new Dc09Error(`receiver ${this.where()} closed the connection`));
      });
    });
  }

  private onData(socket: Socket, chunk: Buffer): void {
    if (this.socket !== socket) return;
    const { frames, garbage } = this.splitter.push(chunk);
    if (garbage > 0 && this.waiter) {
      this.waiter.reject(new Dc09Error(`receiver sent ${garbage} bytes that are not a DC-09 frame`));
      return;
    }
    for (const f of frames) {
      if (this.waiter) this.waiter.resolve(f);
      else this.opts.log.warn({ receiver: this.where(), bytes: f.length }, 'DC-09 frame arrived with no message outstanding; ignored');
    }
  }

  private dropSocket(err: Error | null): void {
    const s = this.socket;
    this.socket = null;
    s?.destroy();
    if (err && this.waiter) this.waiter.reject(err);
  }

  private udpRequest(frame: Buffer, signal: AbortSignal): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Dc09Error('transport closed'));
    const sock = createSocket('udp4');
    const closeSock = () => {
      try {
        sock.close();
      } catch (err) {
        // Already closed by an error path: nothing is left open.
        this.opts.log.debug({ err: (err as Error).message }, 'UDP socket already closed');
      }
    };
    return this.awaitUdp(sock, frame, signal).finally(closeSock);
  }

  private awaitUdp(sock: ReturnType<typeof createSocket>, frame: Buffer, signal: AbortSignal): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (err: Error | null, f?: Buffer) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(f as Buffer);
      };
      const onAbort = () => done(new Dc09Error('send aborted'));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(
        () => done(new Dc09Error(`no response from receiver ${this.where()} within ${this.opts.timeoutMs} ms`)),
        this.opts.timeoutMs,
      );
      sock.on('error', (err) => done(new Dc09Error(`UDP to receiver ${this.where()} failed: ${err.message}`)));
      sock.on('message', (msg) => {
        const { frames, garbage } = new FrameSplitter().push(msg);
        if (garbage > 0 || frames.length !== 1) done(new Dc09Error('receiver sent a datagram that is not one DC-09 frame'));
        else done(null, frames[0]);
      });
      sock.send(frame, this.opts.port, this.opts.host, (err) => {
        if (err) done(new Dc09Error(`UDP send to receiver ${this.where()} failed: ${err.message}`));
      });
    });
  }
}
