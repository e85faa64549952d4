// Renders a topology as a RabbitMQ definitions document (the format `load_definitions` imports).
import { createHash } from 'node:crypto';
import type { Topology } from './topology.js';

/**
 * RabbitMQ's `rabbit_password_hashing_sha256`: base64(salt ++ sha256(salt ++ password)). A fixed
 * salt keeps the generated file stable; this is the compose stack's development user only.
 */
function rabbitPasswordHash(password: string, salt = Buffer.from('SAGA')): string {
  const digest = createHash('sha256')
    .update(Buffer.concat([salt, Buffer.from(password)]))
    .digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

/** The user compose.yaml's services connect as (sagaport/sagaport). */
const composeUser = {
  name: 'sagaport',
  password_hash: rabbitPasswordHash('sagaport'),
  hashing_algorithm: 'rabbit_password_hashing_sha256',
  tags: ['administrator'],
};

/** Builds definitions.json for vhost `/`; the topology module is the only source of names. */
export function toDefinitions(topology: Topology, vhost = '/') {
  const { exchanges, queues, bindings } = topology.declarations;
  return {
    users: [composeUser],
    vhosts: [{ name: vhost }],
    permissions: [{ user: composeUser.name, vhost, configure: '.*', write: '.*', read: '.*' }],
    exchanges: exchanges.map((e) => ({
      name: e.name,
      vhost,
      type: e.type,
      durable: true,
      auto_delete: false,
      internal: false,
      arguments: e.arguments,
    })),
    queues: queues.map((q) => ({
      name: q.name,
      vhost,
      durable: true,
      auto_delete: false,
      arguments: q.arguments,
    })),
    bindings: bindings.map((b) => ({
      source: b.exchange,
      vhost,
      destination: b.queue,
      destination_type: 'queue',
      routing_key: b.routingKey,
      arguments: {},
    })),
  };
}
