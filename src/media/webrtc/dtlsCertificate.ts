import { RTCCertificate, type PeerConfig } from 'werift';
import { KurentoError } from '../../shared/KurentoError.ts';
import type { WebRtcEndpointOptions } from '../../shared/workerProtocol.ts';
import { readDtlsCertificate, type DtlsKeyType } from '../../shared/dtlsCertificatePem.ts';

const loaded = new Map<string, RTCCertificate>();

/**
 * The werift certificate for a configured PEM file, read once per media worker (every
 * endpoint of the worker presents it). Throws as `readDtlsCertificate`.
 */
export function weriftCertificate(file: string, keyType: DtlsKeyType): RTCCertificate {
  const key = `${keyType}:${file}`;
  let c = loaded.get(key);
  if (!c) {
    const pem = readDtlsCertificate(file, keyType);
    // signatureHash: SHA-256 (4) with RSA (1) or ECDSA (3), TLS 1.2's SignatureAndHashAlgorithm (RFC 5246 §7.4.1.4.1).
    c = new RTCCertificate(pem.keyPem, pem.certPem, { hash: 4, signature: keyType === 'RSA' ? 1 : 3 });
    loaded.set(key, c);
  }
  return c;
}

/**
 * The RTCPeerConnection settings that make it present the configured certificate
 * (werift takes `certificates[0]` when `dtls` is set), or nothing (werift's certificate
 * generated once per worker). The file was checked when the server started; one that
 * went bad since fails the endpoint's creation.
 */
export function configuredCertificate(o: Pick<WebRtcEndpointOptions, 'certificateFile' | 'certificateKeyType'>): Partial<PeerConfig> {
  if (!o.certificateFile) return {};
  const keyType: DtlsKeyType = o.certificateKeyType === 'ECDSA' ? 'ECDSA' : 'RSA';
  try {
    return { dtls: {}, certificates: [weriftCertificate(o.certificateFile, keyType)] };
  } catch (err) {
    throw new KurentoError('UNEXPECTED_ERROR', `WebRtcEndpoint DTLS certificate (pemCertificate${keyType}): ${(err as Error).message}`);
  }
}
