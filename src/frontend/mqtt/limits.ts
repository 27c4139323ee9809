// The MQTT limits and defaults Warren applies, RabbitMQ's unless said otherwise.

/** RabbitMQ mqtt.prefetch default: QoS 1 messages in flight per subscription queue. */
export const PREFETCH = 10;
/**
 * CONNACK Maximum Packet Size: RabbitMQ 3.13's mqtt.max_packet_size_authenticated default, the largest
 * packet MQTT can frame (268,435,455 bytes).
 */
export const MAX_PACKET_SIZE = 268435455;
/**
 * RabbitMQ's mqtt.max_packet_size_unauthenticated (65,536): the largest packet read before CONNECT succeeds,
 * so an unauthenticated client cannot make the parser buffer a 256 MB packet.
 */
export const MAX_PACKET_UNAUTHENTICATED = 65536;
/** §3.8.2.1.2: a Subscription Identifier is a Variable Byte Integer from 1 to 268,435,455. */
export const MAX_SUBSCRIPTION_ID = 268435455;
/** MQTT 3.1.1 subscription_ttl default in RabbitMQ 3.10 (x-expires of persistent sessions' queues), ms. */
export const SUBSCRIPTION_TTL = 86400000;
/** RabbitMQ 3.13 max_session_expiry_interval_seconds default (one day). */
export const MAX_SESSION_EXPIRY = 86400;
