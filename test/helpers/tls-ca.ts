// Test helper: a throwaway certificate authority (openssl) that signs the server's certificate and client
// certificates with chosen subjects and subjectAltNames, for certificate logins (EXTERNAL, ssl_cert_login).
// Files live in a temp directory until cleanup(); pika and the CLI read them from disk.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Issued {
  cert: Buffer;
  key: Buffer;
  certFile: string;
  keyFile: string;
}

export interface TestCa {
  dir: string;
  ca: Buffer;
  caFile: string;
  server: Issued;
  /** A client certificate: subject like '/CN=alice/O=Warren', SAN like 'DNS:alice.example,email:a@x'. */
  issue(name: string, subject: string, san?: string): Issued;
  cleanup(): void;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

export function testCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'warren-ca-'));
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=Warren Test CA'].concat([
      '-keyout',
      caKey,
      '-out',
      caFile,
    ]),
  );
  let serial = 1;
  const issue = (name: string, subject: string, san?: string): Issued => {
    const keyFile = join(dir, `${name}.key`);
    const csr = join(dir, `${name}.csr`);
    const certFile = join(dir, `${name}.pem`);
    const ext = join(dir, `${name}.ext`);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', keyFile, '-out', csr]);
    writeFileSync(ext, san ? `subjectAltName=${san}\n` : 'basicConstraints=CA:FALSE\n');
    openssl(
      [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        caFile,
        '-CAkey',
        caKey,
        '-set_serial',
        String(serial++),
        '-days',
        '1',
      ].concat(['-extfile', ext, '-out', certFile]),
    );
    return { cert: readFileSync(certFile), key: readFileSync(keyFile), certFile, keyFile };
  };
  const server = issue('server', '/CN=localhost', 'DNS:localhost,IP:127.0.0.1');
  return {
    dir,
    ca: readFileSync(caFile),
    caFile,
    server,
    issue,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
