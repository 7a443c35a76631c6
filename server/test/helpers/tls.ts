import { spawnSync } from "node:child_process";
import { join } from "node:path";

/**
 * A P-256 certificate for 127.0.0.1, self-signed by openssl for one day, written into `dir`
 * (cert.pem, key.pem). Throws if openssl fails.
 */
export function selfSignedCertificate(dir: string, commonName: string): { cert: string; key: string } {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const made = spawnSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
      ...["-keyout", key, "-out", cert, "-days", "1"],
      ...["-subj", `/CN=${commonName}`, "-addext", "subjectAltName=IP:127.0.0.1"],
    ],
    { encoding: "utf8" },
  );
  if (made.status !== 0) throw new Error(`openssl could not make a test certificate (${made.status}): ${made.stderr}`);
  return { cert, key };
}
