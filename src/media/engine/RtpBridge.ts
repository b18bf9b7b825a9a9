import dgram from 'node:dgram';
import { DatagramOut } from '../native/DatagramOut.ts';
import { DatagramIn } from '../native/DatagramIn.ts';
import { ENGINE_SSRC } from '../transcode/formats.ts';

/**
 * RTP between a media worker and one engine bin, over loopback UDP (issue 11 §2: media
 * crosses between the TypeScript media plane and the engine as RTP). The worker's
 * socket sends into the bin's `udpsrc` and receives what the bin's `udpsink` sends;
 * packets from any other address or port are dropped, so nothing on the machine can
 * inject media into a pipeline through an engine port. Every packet sent in carries the
 * payload type and SSRC fixed when the bin was added: the bin's caps name one payload
 * type, and a source switch upstream must not look like a new stream to its jitter buffer.
 */
export class RtpBridge {
  readonly #socket: dgram.Socket;
  readonly #out: DatagramOut;
  readonly #in: DatagramIn;
  readonly port: number;
  #engineIn = 0;
  #engineOut = 0;
  #payloadType = 0;
  #closed = false;
  /** Datagrams dropped for coming from elsewhere than the engine's sending port. */
  strangers = 0;

  private constructor(socket: dgram.Socket, onPacket: (buf: Buffer) => void) {
    this.#socket = socket;
    this.#out = new DatagramOut(socket);
    this.port = socket.address().port;
    this.#in = new DatagramIn(socket, (buf, address, port) => {
      if (port !== this.#engineOut || address !== '127.0.0.1' || buf.length < 12) {
        this.strangers++;
        return;
      }
      onPacket(buf);
    });
    socket.on('error', () => undefined);
  }

  static open(onPacket: (buf: Buffer) => void): Promise<RtpBridge> {
    const socket = dgram.createSocket('udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve(new RtpBridge(socket, onPacket));
      });
    });
  }

  /** Where the bin listens (its udpsrc) and sends from (its udpsink), and the payload type it expects. */
  connect(engineIn: number, engineOut: number, payloadType: number): void {
    this.#engineIn = engineIn;
    this.#engineOut = engineOut;
    this.#payloadType = payloadType;
  }

  /** Sends one RTP packet into the bin, with the bin's payload type and SSRC; `owned`: `rtp` may be changed in place. */
  send(rtp: Buffer, owned = false): void {
    if (this.#closed || !this.#engineIn || rtp.length < 12) return;
    const out = owned ? rtp : Buffer.from(rtp);
    out[1] = (out[1]! & 0x80) | this.#payloadType;
    out.writeUInt32BE(ENGINE_SSRC, 8);
    this.#out.send(out, this.#engineIn, '127.0.0.1');
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#in.close();
    this.#socket.close();
  }
}
