// The actions and resource types the rule engine itself provides: inspect, do_nothing,
// republish (EMQX's), and data_to_webserver over a `web_hook` resource (Node's fetch, bounded
// in-flight requests; what does not fit is counted as a failure, never queued without end).
import { isWildcard, validTopicName, type ResourceTypeSpec, type RuleActionSpec, type RuleRow } from '@nemq/sdk';
import { compileTemplate, lookup, singleVar } from './template.js';
import { plain, toStr } from './values.js';

const APP = 'emqx_rule_engine';

function str(v: unknown, dflt: string): string {
  return v === undefined || v === null ? dflt : toStr(v);
}

function qosOf(v: unknown): 0 | 1 | 2 {
  const n = typeof v === 'number' ? v : Number(toStr(v));
  if (n === 0 || n === 1 || n === 2) return n;
  throw new Error(`bad_qos: ${toStr(v)}`);
}

function retainOf(v: unknown): boolean {
  if (v === true || v === 'true' || v === 1 || v === '1') return true;
  if (v === false || v === 'false' || v === 0 || v === '0') return false;
  throw new Error(`bad_retain: ${toStr(v)}`);
}

const REPUBLISH_PARAMS = {
  target_topic: { order: 1, type: 'string', required: true, default: 'repub/to/${clientid}', title: { en: 'Target Topic' }, description: { en: 'To which topic the message will be republished' } },
  target_qos: { order: 2, type: ['number', 'string'], enum: [0, 1, 2, '${qos}'], required: true, default: 0, title: { en: 'Target QoS' }, description: { en: 'The QoS Level to be used when republishing the message. Set to ${qos} to use the original QoS. Default is 0' } },
  target_retain: { order: 3, type: ['boolean', 'string'], enum: [true, false, '${flags.retain}'], required: false, default: false, title: { en: 'Target Retain' }, description: { en: 'The Retain flag to be used when republishing the message. Default is false' } },
  payload_tmpl: { order: 4, type: 'string', input: 'textarea', required: false, default: '${payload}', title: { en: 'Payload Template' }, description: { en: 'The payload template, variable interpolation is supported' } },
};

export const republish: RuleActionSpec = {
  name: 'republish',
  app: APP,
  category: 'data_forward',
  for: '$any',
  types: [],
  params: REPUBLISH_PARAMS,
  title: { en: 'Republish' },
  description: { en: 'Republish a MQTT message to another topic' },
  create(params, ctx) {
    const topicText = str(params.target_topic, '');
    if (topicText === '' || isWildcard(topicText)) throw new Error(`bad target_topic: ${topicText}`);
    const topic = compileTemplate(topicText);
    const fixedTopic = !topicText.includes('${');
    if (fixedTopic && !validTopicName(topicText)) throw new Error(`bad target_topic: ${topicText}`);
    const payloadText = str(params.payload_tmpl, '${payload}');
    const payload = payloadText === '' ? (row: RuleRow) => JSON.stringify(row) : compileTemplate(payloadText);
    // -1 or `${qos}`: the original message's QoS; `${var}`: from the selected row
    const q = params.target_qos ?? 0;
    const qVar = typeof q === 'string' ? singleVar(q) : undefined;
    const qFixed = qVar ? undefined : q === -1 || q === '-1' ? -1 : qosOf(q);
    const r = params.target_retain ?? false;
    const rVar = typeof r === 'string' ? singleVar(r) : undefined;
    const rFixed = rVar ? false : retainOf(r);
    const id = ctx.id;
    return (selected, envs) => {
      // a message this action published (or its delivery event) must not be republished by it again
      if (envs.clientid === id || envs.from_clientid === id) throw new Error('recursively_republish');
      const t = topic(selected);
      if (!fixedTopic && !validTopicName(t)) throw new Error(`bad topic: ${t}`);
      const qos = qVar ? qosOf(lookup(selected, qVar) ?? lookup(envs, qVar)) : qFixed === -1 ? qosOf(envs.qos ?? 0) : qFixed!;
      const retain = rVar ? retainOf(lookup(selected, rVar) ?? lookup(envs, rVar) ?? false) : rFixed;
      ctx.publish(t, payload(selected), { qos, retain, from: id });
    };
  },
};

export const inspect: RuleActionSpec = {
  name: 'inspect',
  app: APP,
  category: 'debug',
  for: '$any',
  types: [],
  params: {},
  title: { en: 'Inspect (debug)' },
  description: { en: 'Inspect the details of action params for debug purpose' },
  create(params, ctx) {
    return (selected, envs) => {
      ctx.logger.info(`[inspect] Selected Data: ${JSON.stringify(selected)} Envs: ${JSON.stringify(plain(envs))} Action Init Params: ${JSON.stringify(params)}`);
    };
  },
};

export const doNothing: RuleActionSpec = {
  name: 'do_nothing',
  app: APP,
  category: 'debug',
  for: '$any',
  types: [],
  params: {},
  title: { en: 'Do Nothing (debug)' },
  description: { en: "This action does nothing and never fails. It's for debug purpose" },
  create: () => () => undefined,
};

export const builtIn: ResourceTypeSpec = {
  name: 'built_in',
  provider: APP,
  params: {},
  title: { en: 'Debug resource type' },
  description: { en: 'The built in resource type for debug purpose' },
  create: (_id, config) => config,
};

interface WebHook {
  url: string;
  method: string;
  headers: Record<string, string>;
  timeout: number;
  maxInflight: number;
  inflight: number;
  abort: AbortController;
}

function durationMs(v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v === 'number') return v;
  const m = /^(\d+)(ms|s|m)?$/.exec(toStr(v).trim());
  if (!m) throw new Error(`bad duration: ${toStr(v)}`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60000 : n * 1000;
}

function headersOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out[k] = toStr(x);
  return out;
}

export const webHookType: ResourceTypeSpec = {
  name: 'web_hook',
  provider: APP,
  params: {
    url: { order: 1, type: 'string', format: 'url', required: true, title: { en: 'Request URL' }, description: { en: 'The URL of the server that will receive the Webhook requests.' } },
    method: { order: 2, type: 'string', enum: ['PUT', 'POST', 'GET', 'DELETE'], default: 'POST', title: { en: 'Request Method' }, description: { en: 'The method of the HTTP request.' } },
    headers: { order: 3, type: 'object', schema: {}, default: {}, title: { en: 'Request Header' }, description: { en: 'The custom HTTP request headers to be sent.' } },
    request_timeout: { order: 4, type: 'string', default: '5s', title: { en: 'Request Timeout' }, description: { en: 'Request timeout.' } },
    pool_size: { order: 5, type: 'number', default: 8, title: { en: 'Pool Size' }, description: { en: 'Connection process pool size' } },
  },
  title: { en: 'WebHook' },
  description: { en: 'WebHook' },
  create(_id, config) {
    const url = str(config.url, '');
    if (!/^https?:\/\//.test(url)) throw new Error(`bad url: ${url}`);
    const pool = Number(config.pool_size ?? 8);
    const hook: WebHook = {
      url,
      method: str(config.method, 'POST').toUpperCase(),
      headers: headersOf(config.headers),
      timeout: durationMs(config.request_timeout, 5000),
      // in-flight requests at most; beyond that a request fails at once (counted)
      maxInflight: Math.max(1, pool) * 64,
      inflight: 0,
      abort: new AbortController(),
    };
    return hook;
  },
  destroy(state) {
    (state as WebHook).abort.abort();
  },
  status: (state) => !(state as WebHook).abort.signal.aborted,
};

export const dataToWebserver: RuleActionSpec = {
  name: 'data_to_webserver',
  app: APP,
  category: 'data_forward',
  for: '$any',
  types: ['web_hook'],
  params: {
    $resource: { type: 'string', required: true, title: { en: 'Resource ID' }, description: { en: 'Bind a resource to this action' } },
    method: { order: 1, type: 'string', enum: ['POST', 'DELETE', 'PUT', 'GET'], default: 'POST', title: { en: 'Method' }, description: { en: 'HTTP Method.' } },
    path: { order: 2, type: 'string', required: false, default: '', title: { en: 'Path' }, description: { en: 'The path part of the URL, support using ${Var} to get the field value output by the rule.' } },
    headers: { order: 3, type: 'object', schema: {}, default: {}, title: { en: 'Headers' }, description: { en: 'HTTP headers.' } },
    body: { order: 4, type: 'string', input: 'textarea', required: false, default: '', title: { en: 'Body' }, description: { en: 'The HTTP body supports the use of ${field} to get the value of the rule output field, empty means the whole output as JSON.' } },
  },
  title: { en: 'Data to Web Server' },
  description: { en: 'Forward Messages to Web Server' },
  create(params, ctx) {
    const hook = ctx.resource as WebHook | undefined;
    if (hook === undefined || typeof hook.url !== 'string') throw new Error('data_to_webserver needs a web_hook $resource');
    const path = compileTemplate(str(params.path, ''));
    const bodyText = str(params.body, '');
    const body = bodyText === '' ? (row: RuleRow) => JSON.stringify(row) : compileTemplate(bodyText);
    const method = str(params.method, hook.method).toUpperCase();
    const headers = { 'content-type': 'application/json', ...hook.headers, ...headersOf(params.headers) };
    return async (selected) => {
      if (hook.inflight >= hook.maxInflight) throw new Error('web server backlog full');
      hook.inflight++;
      try {
        const res = await fetch(hook.url + path(selected), {
          method,
          headers,
          body: method === 'GET' || method === 'DELETE' ? undefined : body(selected),
          signal: AbortSignal.any([hook.abort.signal, AbortSignal.timeout(hook.timeout)]),
        });
        await res.arrayBuffer();
        if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}`);
      } finally {
        hook.inflight--;
      }
    };
  },
};

export const BUILTIN_ACTIONS = [inspect, republish, doNothing, dataToWebserver];
export const BUILTIN_TYPES = [builtIn, webHookType];
