// Every key of etc/plugins/emqx_web_hook.conf (EMQX 4.3) with EMQX's defaults, plus the nemq
// keys for the backlog between the hooks and the HTTP server.
import type { ConfSchema } from '@nemq/sdk';

export const schema: ConfSchema = {
  'web.hook.url': { type: 'string', default: 'http://127.0.0.1:80', doc: 'where every event is POSTed' },
  // web.hook.headers.<name> = <value>; EMQX ships content-type = application/json
  'web.hook.headers.$name': { type: 'string' },
  'web.hook.body.encoding_of_payload_field': { type: 'enum', values: ['plain', 'base62', 'base64'], default: 'plain' },
  'web.hook.ssl.cacertfile': { type: 'string' },
  'web.hook.ssl.certfile': { type: 'string' },
  'web.hook.ssl.keyfile': { type: 'string' },
  'web.hook.ssl.verify': { type: 'boolean', default: 'false' },
  'web.hook.ssl.server_name_indication': { type: 'string' },
  'web.hook.pool_size': { type: 'integer', default: '32' },
  'web.hook.enable_pipelining': { type: 'boolean', default: 'true' },
  // web.hook.rule.<hookpoint>.<N> = {"action": "on_<hook>", "topic": "<filter>"}
  'web.hook.rule.$scope.$event.$n': { type: 'string' },
  // nemq: how long one request may wait for the server's answer
  'web.hook.request_timeout': { type: 'duration', default: '5s' },
  // nemq: events waiting for the server, at most this many and this many bytes (the oldest go first, counted)
  'web.hook.backlog.max_events': { type: 'integer', default: '100000' },
  'web.hook.backlog.max_bytes': { type: 'bytesize', default: '64MB' },
  // nemq: requests on the wire per connection when pipelining (1 without)
  'web.hook.pipelining_depth': { type: 'integer', default: '16' },
  // nemq: longest wait between attempts while the server is unreachable
  'web.hook.reconnect_interval': { type: 'duration', default: '2s' },
};
