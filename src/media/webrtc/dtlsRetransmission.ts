import type { RTCDtlsTransport } from 'werift';

/** A DTLS record as werift's CipherContext encrypts it (private in werift's types). */
interface RecordLike {
  recordLayerHeader: { contentType: number; protocolVersion: { major: number; minor: number }; epoch: number; sequenceNumber: number; contentLen: number };
  fragment: Buffer;
}
/** The parts of werift's DTLS socket the renumbering reads (private in werift's types). */
interface DtlsSocketLike {
  connected?: boolean;
  transport?: { send: (buf: Buffer, addr?: unknown) => unknown };
  cipher?: { encryptPacket: (pkt: RecordLike) => RecordLike };
  dtls?: { recordSequenceNumber: number; epoch: number };
}

/** DTLS record header: type, version, epoch, sequence number, length (RFC 6347 §4.1). */
const RECORD_HEADER = 13;
const installed = new WeakSet<object>();

/**
 * Gives every retransmitted DTLS handshake record a new record sequence number, as
 * RFC 6347 §4.2.4 asks ("each retransmission uses a new record sequence number"). werift
 * resends a flight as the very bytes it first sent, and the peer's anti-replay window
 * (§4.1.2.6) discards those as duplicates. When Fluo was the client and the server's
 * last flight (ChangeCipherSpec + Finished) was lost, libwebrtc never saw our repeated
 * flight 5, so never repeated its flight 6, and the handshake stalled for good
 * (test/media/dtls-handshake-loss.test.ts). Plaintext records (epoch 0) are renumbered
 * past the highest epoch-0 number sent, werift's counter included; encrypted ones (the
 * Finished, epoch 1) are encrypted again from their plaintext, kept as werift encrypted
 * them, with the next number of werift's own counter, so its later records do not
 * reuse it. Only datagrams sent again during the handshake are touched. Call when the
 * transport starts connecting, before the first flight (werift waits 100 ms before it).
 */
export function renumberRetransmissions(transport: RTCDtlsTransport): boolean {
  const socket = (transport as unknown as { dtls?: DtlsSocketLike }).dtls;
  const ctx = socket?.transport;
  const cipher = socket?.cipher;
  const counter = socket?.dtls;
  if (!socket || !ctx || !cipher || !counter || installed.has(socket)) return false;
  installed.add(socket);
  const send = ctx.send;
  const encrypt = cipher.encryptPacket.bind(cipher);
  /** Plaintext of each encrypted handshake record werift made, by its ciphertext. */
  let plaintexts: Map<string, RecordLike> | undefined = new Map();
  /** The datagrams sent so far (werift resends the same Buffer objects). */
  let sent: WeakSet<Buffer> | undefined = new WeakSet();
  let epoch0Seq = -1;
  cipher.encryptPacket = (pkt) => {
    // After the handshake (application data: SCTP) nothing is kept.
    if (!plaintexts || socket.connected) return encrypt(pkt);
    const h = pkt.recordLayerHeader;
    const before: RecordLike = { recordLayerHeader: { ...h, protocolVersion: { ...h.protocolVersion } }, fragment: Buffer.from(pkt.fragment) };
    const out = encrypt(pkt);
    plaintexts.set(out.fragment.toString('hex'), before);
    return out;
  };
  ctx.send = (buf, addr) => {
    if (socket.connected || !sent || !plaintexts) {
      // The handshake is over: nothing more to renumber, nothing to keep.
      sent = undefined;
      plaintexts = undefined;
      return send(buf, addr);
    }
    if (!sent.has(buf)) {
      sent.add(buf);
      forEachRecord(buf, (epoch, seq) => { if (epoch === 0 && seq > epoch0Seq) epoch0Seq = seq; });
      return send(buf, addr);
    }
    const fresh = Buffer.from(buf);
    const parts: Buffer[] = [];
    forEachRecord(fresh, (epoch, _seq, at, length) => {
      const record = fresh.subarray(at, at + RECORD_HEADER + length);
      if (epoch === 0) {
        // Past every epoch-0 number used so far, werift's own included; while werift
        // is still in epoch 0 its counter moves on too, so its next flight (a server's
        // ChangeCipherSpec) does not take a number the peer has now seen.
        const inEpoch0 = counter.epoch === 0;
        const seq = Math.max(epoch0Seq, inEpoch0 ? counter.recordSequenceNumber : -1) + 1;
        epoch0Seq = seq;
        if (inEpoch0) counter.recordSequenceNumber = seq;
        record.writeUIntBE(seq, 5, 6);
        parts.push(record);
        return;
      }
      const plain = plaintexts!.get(record.subarray(RECORD_HEADER).toString('hex'));
      if (!plain) {
        parts.push(record);
        return;
      }
      const seq = ++counter.recordSequenceNumber;
      const again = encrypt({ recordLayerHeader: { ...plain.recordLayerHeader, sequenceNumber: seq }, fragment: Buffer.from(plain.fragment) });
      const header = Buffer.from(record.subarray(0, RECORD_HEADER));
      header.writeUIntBE(seq, 5, 6);
      header.writeUInt16BE(again.fragment.length, 11);
      parts.push(header, again.fragment);
    });
    return send(Buffer.concat(parts), addr);
  };
  return true;
}

/** Calls `fn` with each whole record of a datagram: epoch, sequence number, offset, fragment length. */
function forEachRecord(buf: Buffer, fn: (epoch: number, seq: number, at: number, length: number) => void): void {
  for (let at = 0; at + RECORD_HEADER <= buf.length;) {
    const length = buf.readUInt16BE(at + 11);
    if (at + RECORD_HEADER + length > buf.length) return;
    fn(buf.readUInt16BE(at + 3), buf.readUIntBE(at + 5, 6), at, length);
    at += RECORD_HEADER + length;
  }
}
