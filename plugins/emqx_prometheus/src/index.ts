// emqx_prometheus: the node's stats and metrics in EMQX 4.3's Prometheus names, pulled over
// GET /api/v4/emqx_prometheus (no credentials; `type=json` by default, `type=prometheus`
// for the text format) and pushed to a Push Gateway when one is configured. Everything is
// read at scrape time; nothing runs on the message path.
import { ApiCode, confString, definePlugin, fail, ok, RawReply } from '@nemq/sdk';
import { Collector, toJson, toText } from './collect.js';
import { startPush } from './push.js';

export const CONTENT_TYPE = 'text/plain; version=0.0.4';

export default definePlugin({
  schema: {
    'prometheus.push.gateway.server': { type: 'string' },
    'prometheus.interval': { type: 'integer', default: '5000' },
    'prometheus.collector.$name': { type: 'string' },
  },
  start(ctx) {
    const c = ctx.config;
    const collector = new Collector({
      metrics: () => ctx.broker.metrics(),
      stats: () => ctx.broker.stats(),
      nodes: () => ctx.admin.nodes(),
    });
    const text = (): string => toText(collector.sample(), collector.process());

    ctx.api({ name: 'stats', method: 'GET', path: '/emqx_prometheus', descr: 'Get emqx all stats info', auth: false }, (req) => {
      const type = req.query.type ?? 'json';
      if (type === 'prometheus') return new RawReply(200, text(), CONTENT_TYPE);
      if (type === 'json') return ok(toJson(collector.sample()));
      return fail(ApiCode.PARAMETER_TYPE_ERROR, `type must be json or prometheus, not ${type}`);
    });

    const server = confString(c, 'prometheus.push.gateway.server');
    if (server !== undefined) {
      startPush({ server, interval: c['prometheus.interval'], nodeName: ctx.broker.nodeName, text, logger: ctx.logger, signal: ctx.signal });
    }
  },
});
