// Authorization of one publish or subscribe: the per-connection ACL cache, the
// client.check_acl chain, then the file ACL (acl.conf), then acl_nomatch.
import { State, type ChannelCore } from '../channel/core.js';
import type { AclResult, PubSub } from '../types.js';
import { AclCache } from './cache.js';

/** false when the zone has ACL off (enable_acl) or the client is a superuser: everything is allowed */
export function aclApplies(ch: ChannelCore): boolean {
  return ch.zone.enableAcl && !ch.clientinfo.is_superuser;
}

/** the decision when it needs no IO; undefined when a plugin must be asked (aclAsync) */
export function aclSync(ch: ChannelCore, action: PubSub, topic: string): AclResult | undefined {
  const env = ch.env;
  const zone = ch.zone;
  if (zone.enableAclCache) {
    const c = (ch.aclCache ??= new AclCache({ maxSize: zone.aclCacheMaxSize, ttl: zone.aclCacheTtl }));
    const hit = c.get(action, topic);
    if (hit !== undefined) return hit;
  }
  if (env.registry.hooks['client.check_acl'].isUsed()) return undefined;
  env.metrics['client.check_acl']++;
  const file = env.fileAcl(ch.clientinfo, action, topic);
  const r: AclResult = file === 'nomatch' ? zone.aclNomatch : file;
  ch.aclCache?.put(action, topic, r);
  return r;
}

/** asks the client.check_acl chain; `done` is not called when the channel closed meanwhile */
export function aclAsync(ch: ChannelCore, action: PubSub, topic: string, done: (r: AclResult) => void): void {
  const env = ch.env;
  env.metrics['client.check_acl']++;
  env.registry.hooks['client.check_acl'].promise(ch.clientinfo, action, topic).then(
    (res) => {
      if (ch.state === State.Disconnected) return;
      let r: AclResult;
      if (res === 'allow' || res === 'deny') r = res;
      else {
        const file = env.fileAcl(ch.clientinfo, action, topic);
        r = file === 'nomatch' ? ch.zone.aclNomatch : file;
      }
      ch.aclCache?.put(action, topic, r);
      done(r);
    },
    (err) => ch.internalError(err),
  );
}
