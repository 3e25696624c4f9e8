// @nemq/sdk: the whole contract a plugin author sees (types, the hook map, definePlugin) and the
// building blocks plugins share. The broker resolves this package for every plugin it loads,
// so a plugin installed from its tarball imports it at run time without bundling it.

export * from './data.js';
export * from './hooks.js';
export * from './conf.js';
export * from './plugin.js';
export * from './api.js';
export * from './admin.js';

// ---- shared building blocks: one copy for the kernel and every plugin

/** EMQX password hashing (emqx_passwd) */
export { checkPassword, hashPassword, type PasswordHash } from './passwd.js';
/** topic names and filters [MQTT-4.7] */
export {
  topicMatches,
  isWildcard,
  validTopicName,
  validTopicFilter,
  levelCount,
  compileFilter,
  parseShare,
  mount,
  unmount,
  type ShareSpec,
} from './topic.js';
/** IP addresses and CIDR ranges (acl.conf `ipaddr`, MySQL `ipaddr` rows) */
export { parseIp, parseCidr, cidrMatch, type IpAddress, type Cidr } from './cidr.js';
/** EMQX's ACL rules: who, `%u`/`%c` levels, `eq`, first match decides */
export {
  compileTopic,
  eqTopic,
  checkRules,
  findRule,
  matchWho,
  type AclPermission,
  type AclAccess,
  type AclAction,
  type AclCheckResult,
  type AclWho,
  type AclTopic,
  type AclLevel,
  type AclRule,
  type AclClient,
} from './acl.js';
/** EMQX placeholders (`%u %c %a %C %d %P %p %r %t %A %m`) as text or as query bind values */
export {
  PLACEHOLDERS,
  peerAddress,
  placeholderValue,
  expandPlaceholders,
  bindTemplate,
  bindValues,
  type Placeholder,
  type PlaceholderClient,
  type PlaceholderTarget,
  type ExpandOptions,
  type BoundTemplate,
} from './placeholder.js';
/** the generic SQL auth/ACL plugin flow (emqx_auth_mysql, emqx_auth_pgsql) */
export {
  compileRows,
  AclRowError,
  authenticate as sqlAuthenticate,
  checkAcl as sqlCheckAcl,
  QueryError,
  type Querier,
  type QueryResult,
  type AuthClient,
  type AuthOptions as SqlAuthOptions,
  type AclOptions as SqlAclOptions,
} from './sqlauth.js';
/** a backend's `server` key: host, port, [ipv6]:port */
export { parseServer } from './server.js';
export { backendTls, tlsConnectOptions, type BackendTls } from './tls.js';
/** LDAP userPassword values: {SHA} {SSHA} {MD5} {SMD5} {SHA256..512} {SSHA256..512} and clear text (emqx_auth_ldap) */
export { checkLdapPassword, ldapPasswordHash, LDAP_PASSWORD_SCHEMES } from './ldappasswd.js';
/** serving the API routes over HTTP as minirest (emqx_management, emqx_dashboard) */
export { apiHandler, sendJson, sendText, basicCredentials, unauthorized, type ApiServerOptions } from './http.js';
/** CPU and memory readings of the machine (sysmon, emqx_prometheus) */
export { cpuBusy, systemMemory } from './sysinfo.js';
/** the rule engine's action / resource-type registry (other plugins add `data_to_*` actions) */
export {
  ruleRegistry,
  type RuleRegistry,
  type RuleActionSpec,
  type RuleActionFn,
  type ActionCreateContext,
  type ResourceTypeSpec,
  type RuleRow,
  type ParamsSpec,
  type Text as RuleText,
} from './rules.js';
/** data persistence (emqx_backend_mysql, emqx_backend_pgsql, emqx_backend_mongo): rules, buffered pools, hooks */
export * as backend from './backend/index.js';
export { startBackend, type StartBackendOptions } from './backend/index.js';
/** the bounded buffer between a bridge's hooks and its drain loop */
export { BoundedQueue, type Sized } from './queue.js';
/** EMQX's base 62: message ids and payloads */
export { base62Id, unbase62Id, base62Encode } from './base62.js';
/** times as EMQX prints them */
export { datetime } from './time.js';
