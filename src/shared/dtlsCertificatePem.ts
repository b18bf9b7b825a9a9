import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The key types a WebRtcEndpoint's certificateKeyType names (KMD CertificateKeyType). */
export type DtlsKeyType = 'RSA' | 'ECDSA';

export interface DtlsCertificatePem {
  certPem: string;
  /** The key as PKCS#8 PEM, the form werift's key parser reads. */
  keyPem: string;
}

/**
 * Reads the PEM file of WebRtcEndpoint.conf.ini's `pemCertificateRSA` /
 * `pemCertificateECDSA` (Kurento: "a PEM file with the certificate and its private
 * key"): the first certificate and the private key, checked to belong together and to
 * be of the named type. werift's DTLS signs with RSA PKCS#1 SHA-256 or ECDSA P-256
 * SHA-256 (its cipher suites TLS_ECDHE_RSA/ECDSA_WITH_AES_128_GCM_SHA256), so an EC key
 * on another curve is refused. Throws an Error saying what is wrong.
 */
export function readDtlsCertificate(file: string, keyType: DtlsKeyType): DtlsCertificatePem {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text)?.[0];
  const key = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/.exec(text)?.[0];
  if (!cert) throw new Error(`${file} holds no PEM certificate`);
  if (!key) throw new Error(`${file} holds no PEM private key (unencrypted PKCS#8, PKCS#1 or SEC1)`);
  let x509: X509Certificate;
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    x509 = new X509Certificate(cert);
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  if (!x509.checkPrivateKey(privateKey)) throw new Error(`${file}: the private key is not the certificate's`);
  const type = privateKey.asymmetricKeyType;
  if (keyType === 'RSA' && type !== 'rsa') throw new Error(`${file}: an RSA key was expected, got ${type ?? 'unknown'}`);
  if (keyType === 'ECDSA') {
    if (type !== 'ec') throw new Error(`${file}: an ECDSA key was expected, got ${type ?? 'unknown'}`);
    const curve = privateKey.asymmetricKeyDetails?.namedCurve;
    if (curve !== 'prime256v1') throw new Error(`${file}: ECDSA keys on P-256 (prime256v1) only, got ${curve ?? 'unknown'}`);
  }
  // werift's key parser reads PKCS#8.
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { certPem: x509.toString(), keyPem };
}
