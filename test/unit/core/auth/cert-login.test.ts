// The login name of a client certificate as ssl_cert_login_from chooses (certificates from a test CA).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import { certLoginName, type ClientCertificate } from '../../../../src/core/auth/cert-login.js';
import { testCa, type TestCa } from '../../../helpers/tls-ca.js';

let ca: TestCa;
before(() => (ca = testCa()));
after(() => ca.cleanup());

/** A PeerCertificate-like view (what node:tls hands the front ends). */
function view(pem: Buffer): ClientCertificate {
  const x = new X509Certificate(pem);
  const subject: Record<string, string> = {};
  for (const line of x.subject.split('\n')) {
    const i = line.indexOf('=');
    subject[line.slice(0, i)] = line.slice(i + 1);
  }
  return { subject, subjectaltname: x.subjectAltName ?? '', raw: x.raw };
}

test('distinguished_name (RFC 4514, most specific first), common_name, subject_alternative_name', () => {
  const c = view(ca.issue('u1', '/C=UK/O=Acme, Inc/CN=svc', 'DNS:a.example,DNS:b.example,email:svc@x.io').cert);
  const dflt = { from: 'distinguished_name', sanType: 'dns', sanIndex: 0 } as const;
  assert.equal(certLoginName(c, dflt), 'CN=svc,O=Acme\\, Inc,C=UK');
  assert.equal(certLoginName(c, { ...dflt, from: 'common_name' }), 'svc');
  assert.equal(certLoginName(c, { ...dflt, from: 'subject_alternative_name' }), 'a.example');
  assert.equal(certLoginName(c, { ...dflt, from: 'subject_alternative_name', sanIndex: 1 }), 'b.example');
  assert.equal(certLoginName(c, { ...dflt, from: 'subject_alternative_name', sanType: 'email' }), 'svc@x.io');
  assert.equal(certLoginName(c, { ...dflt, from: 'subject_alternative_name', sanType: 'uri' }), null);
});
