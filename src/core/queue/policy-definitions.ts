// Validation of policy definitions as RabbitMQ does it on set_policy / PUT /api/policies (rabbit_policies
// validate_policy0, 3.10): each known key's value is checked, unknown keys are refused together. Texts are
// RabbitMQ's ("Validation failed\n\n-1 is not a valid message TTL\n"), values rendered as Erlang prints them.
import { preconditionFailed } from '../errors.js';
import { OPERATOR_POLICY_KEYS, parseRequeueDelay } from './settings.js';

/** Erlang's ~p of a decoded JSON value: <<"text">>, 5, true, [..]. */
function erl(v: unknown): string {
  if (typeof v === 'string') return `<<"${v}">>`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(erl).join(',')}]`;
  if (typeof v === 'object') {
    return `[${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `{<<"${k}">>,${erl(x)}}`)
      .join(',')}]`;
  }
  return String(v);
}

const int = (min: number) => (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= min;
const str = (v: unknown) => typeof v === 'string';
const oneOf = (xs: string[]) => (v: unknown) => typeof v === 'string' && xs.includes(v);
const any = () => true;

const CHECKS: Record<string, [(v: unknown) => boolean, string]> = {
  'alternate-exchange': [str, 'is not a valid alternate exchange name'],
  'dead-letter-exchange': [str, 'is not a valid dead letter exchange name'],
  'dead-letter-routing-key': [str, 'is not a valid dead letter routing key'],
  'dead-letter-strategy': [oneOf(['at-most-once', 'at-least-once']), 'is not a valid dead letter strategy'],
  'message-ttl': [int(0), 'is not a valid message TTL'],
  expires: [int(1), 'is not a valid queue expiry'],
  'max-length': [int(0), 'is not a valid maximum length'],
  'max-length-bytes': [int(0), 'is not a valid maximum length in bytes'],
  'max-in-memory-length': [int(0), 'is not a valid maximum memory in length'],
  'max-in-memory-bytes': [int(0), 'is not a valid maximum memory in bytes'],
  'delivery-limit': [int(0), 'is not a valid delivery limit'],
  'queue-mode': [oneOf(['default', 'lazy']), 'is not a valid queue-mode value'],
  'queue-version': [(v) => v === 1 || v === 2, 'is not a valid queue version'],
  overflow: [oneOf(['drop-head', 'reject-publish', 'reject-publish-dlx']), 'is not a valid overflow value'],
  'queue-master-locator': [str, 'is not a valid master locator'],
  // RabbitMQ 3.12+ (per-queue consumer timeout), and Warren's requeue backoff
  'consumer-timeout': [int(0), 'is not a valid consumer timeout'],
  'requeue-delay': [(v) => parseRequeueDelay(v) !== null, 'is not a valid requeue delay'],
  // accepted for compatibility; no effect in Warren (mirroring, federation, streams)
  'ha-mode': [any, ''],
  'ha-params': [any, ''],
  'ha-sync-mode': [any, ''],
  'ha-sync-batch-size': [any, ''],
  'ha-promote-on-shutdown': [any, ''],
  'ha-promote-on-failure': [any, ''],
  'federation-upstream': [any, ''],
  'federation-upstream-set': [any, ''],
  'max-age': [any, ''],
  'stream-max-segment-size-bytes': [any, ''],
  'initial-cluster-size': [any, ''],
  'target-group-size': [any, ''],
};

/** Throws PRECONDITION_FAILED with RabbitMQ's text when `definition` is not a valid policy definition. */
export function validatePolicyDefinition(definition: Record<string, unknown>, operator: boolean): void {
  const unknown: string[] = [];
  for (const [k, v] of Object.entries(definition)) {
    const c = CHECKS[k];
    if (c === undefined || (operator && !OPERATOR_POLICY_KEYS.has(k))) {
      unknown.push(`{<<"${k}">>,${erl(v)}}`);
      continue;
    }
    if (!c[0](v)) throw preconditionFailed(`Validation failed\n\n${erl(v)} ${c[1]}\n`);
  }
  if (unknown.length !== 0) {
    throw preconditionFailed(`Validation failed\n\n[${unknown.join(',')}] are not recognised policy settings\n`);
  }
}
