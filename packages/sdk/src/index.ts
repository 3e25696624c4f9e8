// @nemq/sdk: the whole contract a plugin author sees (types, the hook map, definePlugin) and the
// building blocks plugins share. The broker resolves this package for every plugin it loads,
// so a plugin installed from its tarball imports it at run time without bundling it.

export * from './data.js';
export * from './hooks.js';
export * from './conf.js';
export * from './plugin.js';

export { topicMatches, isWildcard } from './topic.js';

/** EMQX password hashing (emqx_passwd): shared by auth plugins. */
export { checkPassword, hashPassword, type PasswordHash } from './passwd.js';
